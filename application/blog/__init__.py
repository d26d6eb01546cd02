"""Blog: posts, a user's posts and author statistics. The use cases and commands, as routers,
the CLI and the container use them."""

from application.blog.use_cases import (
    DEFAULT_AUTHORS,
    DEFAULT_MIN_POSTS,
    POST_SORTS,
    CreatePost,
    CreatePostCommand,
    DeletePost,
    GetAuthorStats,
    GetPost,
    ListPosts,
    ListPostsQuery,
    ListUserPosts,
    PatchPost,
    PatchPostCommand,
)

__all__ = [
    "DEFAULT_AUTHORS",
    "DEFAULT_MIN_POSTS",
    "POST_SORTS",
    "CreatePost",
    "CreatePostCommand",
    "DeletePost",
    "GetAuthorStats",
    "GetPost",
    "ListPosts",
    "ListPostsQuery",
    "ListUserPosts",
    "PatchPost",
    "PatchPostCommand",
]
