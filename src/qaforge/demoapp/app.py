"""The demo shop: a small, realistic web app with a login, forms, a client-rendered section and
seeded faults, served for qaforge's tests, benchmarks and `make demo`. See docs/demo-app.md."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from qaforge.demoapp.bugs import BugConfig
from qaforge.demoapp.catalogue import API_PAGE_SIZE, API_PAGES, ITEMS, PAGE_SIZE, find_item

HERE = Path(__file__).parent
USERNAME = "demo"
PASSWORD = "demo"
COUNTRIES = ["Germany", "France", "Spain", "United Kingdom"]
SUBJECTS = ["General", "Order", "Returns"]
PHONE_PATTERN = r"[0-9+ \-]{7,15}"
FAVICON = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">'
    b'<rect width="16" height="16" rx="3" fill="#2563eb"/></svg>'
)
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass
class ShopState:
    """Everything the shop remembers, per process (a fresh start forgets it all)."""

    carts: dict[str, dict[int, int]] = field(default_factory=dict)
    orders: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, str]] = field(default_factory=list)
    products_added: list[dict[str, str]] = field(default_factory=list)
    deals_requests: int = 0


def create_app(bug: BugConfig | None = None, secret: str | None = None) -> FastAPI:
    """Build the shop with its own state; `bug` switches one seeded fault on."""
    bugs = bug or BugConfig()
    state = ShopState()
    app = FastAPI(title="Demo Shop", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(SessionMiddleware, secret_key=secret or secrets.token_hex(16))
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    templates = Jinja2Templates(directory=HERE / "templates")

    def session_id(request: Request) -> str:
        sid = request.session.get("sid")
        if not sid:
            sid = secrets.token_hex(8)
            request.session["sid"] = sid
        return str(sid)

    def cart_lines(request: Request) -> tuple[list[dict[str, Any]], int]:
        cart = state.carts.get(session_id(request), {})
        lines: list[dict[str, Any]] = []
        for item_id, qty in cart.items():
            item = find_item(item_id)
            if item is None:
                continue
            lines.append({"item": item, "qty": qty, "total": item.price_cents * qty})
        counted = lines[:-1] if bugs.on("wrong-total") and lines else lines
        return lines, sum(line["total"] for line in counted)

    def render(
        request: Request, template: str, title: str, status: int = 200, **ctx: Any
    ) -> HTMLResponse:
        flashes = request.session.pop("flash", [])
        return templates.TemplateResponse(
            request,
            template,
            {
                "title": title,
                "user": request.session.get("user"),
                "flashes": flashes,
                "bug": bugs,
                "money": lambda cents: f"${cents / 100:.2f}",
                **ctx,
            },
            status_code=status,
        )

    def flash(request: Request, message: str) -> None:
        request.session.setdefault("flash", [])
        request.session["flash"] = [*request.session["flash"], message]

    def all_products() -> list[dict[str, str]]:
        # Every fourth item is on backorder, so the availability filter has rows to leave out.
        listed = [
            {
                "name": i.name,
                "price": i.price,
                "stock": "Backorder" if i.id % 4 == 0 else "In stock",
            }
            for i in ITEMS
        ]
        return listed + state.products_added

    def product_count(products: list[dict[str, str]]) -> int:
        return len(products) - (1 if bugs.on("product-count-off") else 0)

    def redirect(url: str) -> RedirectResponse:
        return RedirectResponse(url, status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def not_found(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            return render(request, "not_found.html", "Page not found", status=404)
        return HTMLResponse(f"<h1>Error {exc.status_code}</h1>", status_code=exc.status_code)

    def server_error(request: Request) -> HTMLResponse:
        return render(request, "error.html", "Server error", status=500)

    @app.get("/favicon.ico")
    async def favicon() -> Response:
        return Response(FAVICON, media_type="image/svg+xml")

    @app.get("/", response_class=HTMLResponse)
    async def home(request: Request) -> HTMLResponse:
        return render(request, "home.html", "Demo Shop", featured=ITEMS[:3])

    @app.get("/login", response_class=HTMLResponse)
    async def login_form(request: Request, next: str = "/") -> HTMLResponse:
        return render(request, "login.html", "Log in", next=next, error=None)

    @app.post("/login", response_model=None)
    async def login(request: Request) -> Response:
        form = await request.form()
        username = str(form.get("username", ""))
        password = str(form.get("password", ""))
        target = str(form.get("next", "/")) or "/"
        if not target.startswith("/") or target.startswith("//"):
            target = "/"
        ok = username == USERNAME and password == PASSWORD and not bugs.on("login-broken")
        if not ok:
            return render(
                request,
                "login.html",
                "Log in",
                status=200,
                next=target,
                error="Invalid username or password",
                username=username,
            )
        request.session["user"] = username
        flash(request, f"Signed in as {username}")
        return redirect(target)

    @app.get("/logout")
    async def logout(request: Request) -> RedirectResponse:
        request.session.pop("user", None)
        flash(request, "You have been logged out")
        return redirect("/")

    @app.get("/catalogue", response_class=HTMLResponse)
    async def catalogue(request: Request, q: str = "", page: int = 1) -> HTMLResponse:
        query = "" if bugs.on("search-ignored") else q.strip().lower()
        matches = [i for i in ITEMS if query in i.name.lower() or query in i.description.lower()]
        pages = max(1, -(-len(matches) // PAGE_SIZE))
        page = min(max(page, 1), pages)
        start = (page - 1) * PAGE_SIZE
        shown = matches[start : start + PAGE_SIZE]
        heading = "Product list" if bugs.on("renamed-heading") else "Catalogue"
        return render(
            request,
            "catalogue.html",
            "Catalogue",
            heading=heading,
            items=shown,
            q=q,
            qs=quote(q),
            page=page,
            pages=pages,
            first=start + 1 if shown else 0,
            last=start + len(shown),
            total=len(matches),
            show_next=page < pages and not bugs.on("pagination-broken"),
        )

    @app.get("/items/{item_id}", response_class=HTMLResponse)
    async def item_page(request: Request, item_id: int) -> HTMLResponse:
        if bugs.on("item-500"):
            return server_error(request)
        item = find_item(item_id)
        if item is None:
            return render(request, "not_found.html", "Page not found", status=404)
        return render(request, "item.html", item.name, item=item)

    @app.post("/cart/add")
    async def cart_add(request: Request) -> RedirectResponse:
        form = await request.form()
        try:
            item_id = int(str(form.get("item_id", "0")))
            qty = int(str(form.get("quantity", "1")))
        except ValueError:
            return redirect("/cart")
        item = find_item(item_id)
        if item is None or not 1 <= qty <= 5 or bugs.on("dead-add-button"):
            return redirect("/cart")
        cart = state.carts.setdefault(session_id(request), {})
        cart[item_id] = min(5, cart.get(item_id, 0) + qty)
        flash(request, f"Added {item.name} to your cart")
        return redirect("/cart")

    @app.post("/cart/remove")
    async def cart_remove(request: Request) -> RedirectResponse:
        form = await request.form()
        cart = state.carts.get(session_id(request), {})
        cart.pop(int(str(form.get("item_id", "0")) or 0), None)
        flash(request, "Item removed")
        return redirect("/cart")

    @app.get("/cart", response_class=HTMLResponse)
    async def cart(request: Request) -> HTMLResponse:
        lines, total = cart_lines(request)
        return render(request, "cart.html", "Your cart", lines=lines, total=total)

    def checkout_errors(form: dict[str, str]) -> dict[str, str]:
        if bugs.on("checkout-no-validation"):
            return {}
        errors: dict[str, str] = {}
        if len(form.get("full_name", "").strip()) < 2:
            errors["full_name"] = "Enter your full name"
        if not EMAIL_RE.match(form.get("email", "")):
            errors["email"] = "Enter a valid email address"
        phone = form.get("phone", "")
        if phone and not re.fullmatch(PHONE_PATTERN, phone):
            errors["phone"] = "Enter a valid phone number"
        try:
            qty = int(form.get("quantity", ""))
            if not 1 <= qty <= 10:
                errors["quantity"] = "Quantity must be between 1 and 10"
        except ValueError:
            errors["quantity"] = "Quantity must be between 1 and 10"
        if form.get("country") not in COUNTRIES:
            errors["country"] = "Choose a country"
        if form.get("shipping") not in {"standard", "express"}:
            errors["shipping"] = "Choose a shipping method"
        if form.get("terms") != "yes":
            errors["terms"] = "You must accept the terms"
        return errors

    @app.get("/checkout", response_class=HTMLResponse)
    async def checkout_form(request: Request) -> HTMLResponse:
        return render(
            request,
            "checkout.html",
            "Checkout",
            form={},
            errors={},
            countries=COUNTRIES,
            phone_pattern=PHONE_PATTERN,
        )

    @app.post("/checkout", response_model=None)
    async def checkout(request: Request) -> Response:
        raw = await request.form()
        form = {k: str(v) for k, v in raw.items()}
        errors = checkout_errors(form)
        if errors:
            return render(
                request,
                "checkout.html",
                "Checkout",
                status=422,
                form=form,
                errors=errors,
                countries=COUNTRIES,
                phone_pattern=PHONE_PATTERN,
            )
        state.orders.append({"name": form.get("full_name", ""), "email": form.get("email", "")})
        request.session["last_order_name"] = form.get("full_name", "")
        state.carts.pop(session_id(request), None)
        return redirect(f"/checkout/done?order={len(state.orders)}")

    @app.get("/checkout/done", response_class=HTMLResponse)
    async def checkout_done(request: Request, order: int = 0) -> HTMLResponse:
        name = request.session.get("last_order_name", "customer")
        return render(request, "checkout_done.html", "Order confirmed", order=order, customer=name)

    @app.get("/contact", response_class=HTMLResponse)
    async def contact_form(request: Request, sent: int = 0) -> HTMLResponse:
        return render(request, "contact.html", "Contact us", subjects=SUBJECTS, form={}, errors={})

    @app.post("/contact", response_model=None)
    async def contact(request: Request) -> Response:
        if bugs.on("contact-500"):
            return server_error(request)
        raw = await request.form()
        form = {k: str(v) for k, v in raw.items()}
        errors: dict[str, str] = {}
        if not form.get("name", "").strip():
            errors["name"] = "Enter your name"
        if not EMAIL_RE.match(form.get("email", "")):
            errors["email"] = "Enter a valid email address"
        if len(form.get("message", "").strip()) < 10:
            errors["message"] = "Write at least 10 characters"
        if errors:
            return render(
                request,
                "contact.html",
                "Contact us",
                status=422,
                subjects=SUBJECTS,
                form=form,
                errors=errors,
            )
        state.messages.append({"subject": form.get("subject", "")})
        if not bugs.on("contact-no-flash"):
            flash(request, "Thanks for your message")
        return redirect("/contact?sent=1")

    @app.get("/live", response_class=HTMLResponse)
    async def live(request: Request) -> HTMLResponse:
        return render(request, "live.html", "Live catalogue")

    @app.get("/api/products")
    async def api_products(page: int = 1) -> JSONResponse:
        page = min(max(page, 1), API_PAGES)
        start = (page - 1) * API_PAGE_SIZE
        items = [
            {"id": i.id, "name": i.name, "price": i.price}
            for i in ITEMS[start : start + API_PAGE_SIZE]
        ]
        return JSONResponse({"items": items, "next_page": page + 1 if page < API_PAGES else None})

    @app.get("/deals", response_class=HTMLResponse)
    async def deals(request: Request) -> HTMLResponse:
        # Deterministic flakiness: the content alternates on every other request.
        state.deals_requests += 1
        deal = "Desk Lamp" if state.deals_requests % 2 == 1 else "Office Chair"
        return render(request, "deals.html", "Deals", deal=deal)

    @app.get("/reviews", response_class=HTMLResponse)
    async def reviews(request: Request) -> HTMLResponse:
        return render(request, "reviews.html", "Reviews")

    @app.get("/about", response_class=HTMLResponse)
    async def about(request: Request) -> HTMLResponse:
        return render(request, "about.html", "About")

    def require_login(request: Request) -> RedirectResponse | None:
        if request.session.get("user"):
            return None
        return redirect(f"/login?next={quote(request.url.path)}")

    @app.get("/admin", response_model=None)
    async def admin(request: Request) -> Response:
        if (bounce := require_login(request)) is not None:
            return bounce
        return render(request, "admin.html", "Admin dashboard", orders=state.orders)

    @app.get("/admin/products", response_model=None)
    async def admin_products(request: Request) -> Response:
        if (bounce := require_login(request)) is not None:
            return bounce
        products = all_products()
        wanted = {"in": "In stock", "back": "Backorder"}.get(request.query_params.get("stock", ""))
        if wanted is not None and not bugs.on("product-filter-ignored"):
            products = [p for p in products if p["stock"] == wanted]
        return render(
            request,
            "admin_products.html",
            "Products",
            products=products,
            count=product_count(products),
            errors={},
        )

    @app.post("/admin/products", response_model=None)
    async def admin_add_product(request: Request) -> Response:
        if (bounce := require_login(request)) is not None:
            return bounce
        form = await request.form()
        name = str(form.get("name", "")).strip()
        try:
            price = float(str(form.get("price", "")))
        except ValueError:
            price = 0.0
        if not name or price < 0.01:
            products = all_products()
            return render(
                request,
                "admin_products.html",
                "Products",
                status=422,
                products=products,
                count=product_count(products),
                errors={"form": "Enter a name and a price of at least 0.01"},
            )
        if bugs.on("saved-name-truncated"):
            name = name[:-1]
        state.products_added.append({"name": name, "price": f"${price:.2f}", "stock": "In stock"})
        flash(request, "Product added")
        return redirect("/admin/products")

    return app
