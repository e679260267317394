"""The demo brand sites: a page with the xsell snippet and one reserved slot."""

from __future__ import annotations

import json
from html import escape

from demo.brands import SLOT, Brand
from demo.customers import brands_used, customer_id

# A few customers to log in as, chosen so each home brand is represented.
SAMPLE_CUSTOMERS = tuple((n, customer_id(n)) for n in range(1, 7))


def render(brand: Brand, snippet: str, api_url: str) -> bytes:
    """The brand's home page. The logged-in customer comes from ?customer=<id>."""
    logins = "".join(
        f'<li><a href="?customer={cid}">{cid}</a> <small>({", ".join(brands_used(n))})</small></li>'
        for n, cid in SAMPLE_CUSTOMERS
    )
    init = json.dumps({"site": brand.site_id, "api": api_url})
    return f"""<!doctype html>
<html lang="ja">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>{escape(brand.name)}</title>
<style>
  body {{ font-family: system-ui, sans-serif; margin: 0; color: #222; }}
  header {{ background: {brand.color}; color: #fff; padding: 16px 24px; }}
  main {{ max-width: 760px; margin: 24px auto; padding: 0 16px; }}
  [data-xsell-slot] {{ min-height: 120px; border-radius: 8px; background: #f6f6f6; }}
  .xsell-creative {{ display: flex; gap: 16px; align-items: center; padding: 15px; height: 90px;
    color: inherit; text-decoration: none; border: 1px solid #ddd; border-radius: 8px; background: #fff; }}
  .xsell-creative img {{ width: 120px; height: 90px; }}
  .xsell-title {{ display: block; font-size: 1.1em; margin-bottom: 4px; }}
  .xsell-body {{ display: block; color: #555; }}
  .xsell-cta {{ margin-left: auto; white-space: nowrap; color: {brand.color}; }}
</style>
<script>
{snippet}
xsell("init", {init});
(function () {{
  var id = new URLSearchParams(location.search).get("customer");
  if (id) {{ xsell("identify", {{ customer_id: id }}); }}
  xsell("page");
}})();
</script>
</head>
<body>
<header><h1>{escape(brand.name)}</h1><p>{escape(brand.tagline)}</p></header>
<main>
  <section aria-label="グループからのおすすめ">
    <div data-xsell-slot="{SLOT}"></div>
  </section>
  <h2>デモ会員でログイン</h2>
  <ul>{logins}</ul>
</main>
</body>
</html>
""".encode()
