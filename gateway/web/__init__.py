"""Server-rendered pages (storefront, seller dashboard, courier pages), served by the gateway."""
