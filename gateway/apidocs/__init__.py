"""Static assets of the self-contained API docs page (/api/docs): no CDN, no build step."""
