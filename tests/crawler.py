"""Visit the portal as every demo role, through its menus and links, with every filter value.

Used on PostgreSQL by tests/browser/test_crawl_demo.py (`make test`) and on SQLite by
scripts/smoke_make_run.py (`make smoke`), both on the data of `seed_demo`:

- `crawl()` fetches pages with Django's test client (fast): from each role's landing page and
  menu, it follows every link of the site and, on every page so reached that has a GET form
  (lists, dashboards), submits each value of each <select> (each département, EPCI, product,
  region...) with the form's other fields as they are. A page answering 5xx, or a link or a
  filter value answering 4xx, is a failure. Links of one URL pattern are followed twice per
  role (the demo has thousands of officines; the admin's once), filter values always.
- `check_in_browser()` opens one page per URL pattern in Chromium, with the session of the
  role that reached it, and fails on a JavaScript error, an axe-core violation of serious or
  critical impact, or (resized to 390x844) a page wider than a phone. axe-core is vendored
  under tests/vendor (scripts/vendor_assets.sh) and injected here only: never served to users.
"""

from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode, urljoin, urlsplit

from django.conf import settings
from django.test import Client
from django.urls import Resolver404, resolve, reverse

AXE_PATH = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
DEMO_DOMAIN = "@demo.gomask.fr"
LINKS_PER_PATTERN = 2
SERIOUS = ("serious", "critical")
# Not pages: assets, the API (JSON, its own tests), the language switch (POST only).
SKIPPED_PREFIXES = ("/static/", "/media/", "/api/", "/i18n/", "/healthz", "/readyz")
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
# Django admin internals that only repeat the same pages with other parameters.
SKIPPED_VIEWS = {"admin:jsi18n", "admin:view_on_site", "admin:autocomplete"}


@dataclass
class Page:
    identity: str  # a demo e-mail, or "anonymous"
    url: str
    pattern: str  # the URL name, e.g. "dashboards:dashboard"


@dataclass
class Report:
    failures: list[str] = field(default_factory=list)
    visits: int = 0
    patterns: dict[str, Page] = field(default_factory=dict)  # one HTML page per pattern


class _Links(HTMLParser):
    """The links of a page and its GET forms: each form's current values and select choices."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.forms: list[dict] = []  # {"action", "values": {name: value}, "choices": {name: [values]}}
        self._form: dict | None = None  # the GET form we are in
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        elif tag == "form":
            method = (attrs.get("method") or "get").lower()
            self._form = {"action": attrs.get("action") or "", "values": {}, "choices": {}}
            if method == "get":
                self.forms.append(self._form)
        elif tag == "option" and self._form is not None and self._select:
            value = attrs.get("value") or ""
            self._form["choices"][self._select].append(value)
            if "selected" in attrs or self._select not in self._form["values"]:
                self._form["values"][self._select] = value
        elif self._form is None or not attrs.get("name"):
            return
        elif tag == "select":
            self._select = attrs["name"]
            self._form["choices"][self._select] = []
        elif tag == "input" and attrs.get("type", "text") not in ("submit", "button", "checkbox", "radio"):
            self._form["values"][attrs["name"]] = attrs.get("value") or ""

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def _filter_urls(page_url: str, parser: _Links) -> list[str]:
    """Each value of each select of each GET form, the other fields as the form would send them."""
    urls = []
    for form in parser.forms:
        base = _local(page_url, form["action"] or page_url)
        if not base:
            continue
        for name, values in form["choices"].items():
            for value in values:
                if not value:
                    continue
                query = {key: current for key, current in form["values"].items() if current}
                query[name] = value
                urls.append(f"{urlsplit(base).path}?{urlencode(sorted(query.items()))}")
    return urls


def _pattern(path: str) -> str | None:
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return match.view_name


def _local(base: str, href: str) -> str | None:
    """The site-relative URL of a link (fragment dropped), or None for another site."""
    target = urlsplit(urljoin(base, href))
    if target.scheme not in ("http", "https", "") or target.netloc not in ("", "testserver"):
        return None
    if target.path.startswith(SKIPPED_PREFIXES):
        return None
    return target.path + (f"?{target.query}" if target.query else "")


def demo_identities():
    """Every demo login of `seed_demo`, plus an anonymous visitor (None)."""
    from accounts.models import User

    return [None, *User.objects.filter(email__endswith=DEMO_DOMAIN, is_active=True).order_by("email")]


def start_pages(user) -> list[str]:
    from accounts.navigation import NAV_BY_ROLE, PUBLIC_NAV

    pages = ["/"]
    if user is None:
        pages += [reverse(entry[1]) for entry in PUBLIC_NAV]
        pages += [reverse("account_login"), reverse("account_signup")]
        return pages
    pages.append(reverse("accounts:landing"))
    for _label, url_name, *condition in NAV_BY_ROLE[user.role]:
        if not condition or condition[0](user):
            pages.append(reverse(url_name))
    return pages


def crawl(*, links_per_pattern: int = LINKS_PER_PATTERN, log=None) -> Report:
    report = Report()
    filtered: set[str] = set()  # filter URLs already fetched, whoever fetched them
    for user in demo_identities():
        identity = user.email if user else "anonymous"
        client = Client(raise_request_exception=False)
        if user is not None:
            client.force_login(user)
        queue = deque((url, "menu") for url in start_pages(user))
        seen: set[str] = set()
        per_pattern: dict[str, int] = {}
        while queue:
            url, origin = queue.popleft()
            if url in seen:
                continue
            seen.add(url)
            pattern = _pattern(urlsplit(url).path)
            if pattern is None or pattern in SKIPPED_VIEWS:
                if pattern is None and origin != "filter":
                    report.failures.append(f"{identity}: {url} (from {origin}) matches no URL pattern")
                continue
            if origin != "filter":
                # Django's admin repeats one template per model: one page of each is enough.
                limit = 1 if pattern.startswith("admin:") else links_per_pattern
                if per_pattern.get(pattern, 0) >= limit:
                    continue
                per_pattern[pattern] = per_pattern.get(pattern, 0) + 1
            elif url in filtered:
                continue
            else:
                filtered.add(url)
            response = client.get(url)
            report.visits += 1
            if log:
                log(f"{response.status_code} {identity} {url}")
            if response.status_code >= 500:
                report.failures.append(f"{identity}: {url} answered {response.status_code} (from {origin})")
                continue
            if response.status_code >= 400:
                report.failures.append(
                    f"{identity}: {url} answered {response.status_code} (a link from {origin})"
                )
                continue
            if response.status_code in (301, 302, 303, 307, 308):
                target = _local(url, response["Location"])
                if target:
                    queue.append((target, url))
                continue
            if not response.get("Content-Type", "").startswith("text/html"):
                continue
            report.patterns.setdefault(pattern, Page(identity, url, pattern))
            parser = _Links()
            parser.feed(response.content.decode(response.charset or "utf-8", errors="replace"))
            for href in parser.links:
                target = _local(url, href)
                if target:
                    queue.append((target, url))
            if origin != "filter":  # one level: each value of each filter of the page as reached
                queue.extend((target, "filter") for target in _filter_urls(url, parser))
    return report


def browser_pages(report: Report) -> list[Page]:
    """One page per URL pattern for the browser: the portal's own pages and the admin's index
    (the other admin pages are Django's, with their own accessibility work)."""
    return [
        page
        for page in report.patterns.values()
        if not page.pattern.startswith("admin:") or page.pattern == "admin:index"
    ]


def session_cookie(identity: str) -> str | None:
    from accounts.models import User

    if identity == "anonymous":
        return None
    client = Client()
    client.force_login(User.objects.get(email=identity))
    return client.cookies[settings.SESSION_COOKIE_NAME].value


AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations
    .filter((v) => ["serious", "critical"].includes(v.impact))
    .map((v) => {
      const where = v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ");
      return `${v.impact} ${v.id} (${v.help}): ${where}`;
    });
}"""


# The page's width once resize handlers (Chart.js redraws its canvases) have run.
SETTLED_WIDTH = """() => new Promise((resolve) => {
  const measure = () => resolve(document.documentElement.scrollWidth);
  requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(measure, 250)));
})"""


def check_in_browser(browser, base_url: str, pages: list[Page], *, log=None) -> list[str]:
    """Open each page in Chromium as its identity: JavaScript errors, serious axe violations,
    and (resized to a phone) horizontal overflow."""
    failures = []
    by_identity: dict[str, list[Page]] = {}
    for page in pages:
        by_identity.setdefault(page.identity, []).append(page)
    for identity, identity_pages in by_identity.items():
        # bypass_csp: the page's Content-Security-Policy would refuse the injected axe script.
        context = browser.new_context(
            base_url=base_url,
            locale="fr-FR",
            timezone_id="Europe/Paris",
            viewport=DESKTOP,
            bypass_csp=True,
        )
        # Map tiles and anything else off this machine are never needed: block them.
        context.route(
            "**/*",
            lambda route: route.continue_() if route.request.url.startswith(base_url) else route.abort(),
        )
        cookie = session_cookie(identity)
        if cookie:
            context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": base_url}])
        tab = context.new_page()
        errors: list[str] = []
        tab.on("pageerror", lambda error, errors=errors: errors.append(f"uncaught {error}"))
        tab.on(
            "console",
            lambda message, errors=errors: (
                errors.append(f"console: {message.text}")
                if message.type == "error" and message.location.get("url", "").startswith(base_url)
                else None
            ),
        )
        for page in identity_pages:
            errors.clear()
            tab.goto(page.url, wait_until="load")
            tab.add_script_tag(path=str(AXE_PATH))
            violations = tab.evaluate(AXE_RUN)
            # The same page on a phone: nothing may be wider than the screen.
            tab.set_viewport_size(PHONE)
            width = tab.evaluate(SETTLED_WIDTH)
            tab.set_viewport_size(DESKTOP)
            if width > PHONE["width"]:
                violations.append(f"{width} px wide on a {PHONE['width']} px phone screen")
            if log:
                log(f"browser {identity} {page.url}: {len(errors)} JS errors, {len(violations)} violations")
            for problem in [*errors, *violations]:
                failures.append(f"{identity}: {page.url} [{page.pattern}]: {problem}")
        context.close()
    return failures
