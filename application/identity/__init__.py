"""Identity: users, login, profiles, superuser administration. The use cases and commands, as
routers, the CLI and the container use them."""

from application.identity.use_cases import (
    MAX_BULK_ACTIVATE,
    USER_SORTS,
    ActivateUsers,
    Authenticate,
    CreateSuperuser,
    DeleteUser,
    GetUser,
    GetUserStats,
    IssueToken,
    ListUsers,
    ReplaceProfile,
    SignUp,
    SignUpCommand,
    UpdateMe,
    UpdateUser,
    UpdateUserCommand,
)

__all__ = [
    "MAX_BULK_ACTIVATE",
    "USER_SORTS",
    "ActivateUsers",
    "Authenticate",
    "CreateSuperuser",
    "DeleteUser",
    "GetUser",
    "GetUserStats",
    "IssueToken",
    "ListUsers",
    "ReplaceProfile",
    "SignUp",
    "SignUpCommand",
    "UpdateMe",
    "UpdateUser",
    "UpdateUserCommand",
]
