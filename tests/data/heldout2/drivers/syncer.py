"""A small sync worker: pulls items over HTTP, checks them, stores them in SQLite."""
import asyncio, json, logging, sqlite3, threading, warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

logging.basicConfig(level=logging.DEBUG)
logging.captureWarnings(True)
log = logging.getLogger("syncer")
db_log = logging.getLogger("syncer.db")

ITEMS = {"/items/1": {"id": 1, "name": "bolt", "qty": 40},
         "/items/2": {"id": 2, "name": "nut", "qty": "many"},
         "/items/3": "{not json", "/items/4": {"id": 1, "name": "bolt again", "qty": 2}}

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = ITEMS.get(self.path)
        if body is None:
            self.send_response(404); self.end_headers(); return
        if self.path == "/items/5":
            self.send_response(500); self.end_headers(); return
        data = body if isinstance(body, str) else json.dumps(body)
        self.send_response(200); self.send_header("Content-Type", "application/json")
        self.end_headers(); self.wfile.write(data.encode())
    def log_message(self, *args):
        pass

def store(db, item):
    if not isinstance(item.get("qty"), int):
        raise ValueError(f"qty must be an integer, got {item.get('qty')!r}")
    db.execute("INSERT INTO items VALUES (?, ?, ?)", (item["id"], item["name"], item["qty"]))
    db_log.debug("inserted item %s (%s)", item["id"], item["name"])

def sync(base, session, db, n):
    url = f"{base}/items/{n}"
    try:
        r = session.get(url, timeout=2)
        r.raise_for_status()
        item = r.json()
        store(db, item)
        log.info("item %d synced", n)
    except requests.HTTPError as e:
        log.error("item %d: %s", n, e)
    except (ValueError, sqlite3.IntegrityError):
        log.exception("item %d could not be stored", n)

def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    log.info("source is %s", base)
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, qty INTEGER)")
    session = requests.Session()
    for n in range(1, 7):
        sync(base, session, db, n)
    log.warning("%d of %d items stored", db.execute("SELECT count(*) FROM items").fetchone()[0], 6)
    retry = Retry(total=2, backoff_factor=0.1)
    session.mount("http://", HTTPAdapter(max_retries=retry))
    server.shutdown(); server.server_close()
    try:
        session.get(f"{base}/items/1", timeout=1)
    except requests.ConnectionError:
        log.exception("source went away")
    warnings.warn("the 'legacy' table layout is deprecated", DeprecationWarning)
    asyncio.run(asyncio.sleep(0), debug=True)
    log.critical("sync finished with errors")

main()
