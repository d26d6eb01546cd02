"""One dependency-injector sub-container per bounded context, plus ``Core``: what they share."""
