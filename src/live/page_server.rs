//! The page's side door: a small HTTP/1.1 server that serves the live view's
//! static bundle and the API the page watches a live run through.
//!
//! `kafkascope live --http-port H` answers browsers next to the Kafka
//! clients. The page itself is a separately built static bundle (trunk
//! writes it to `dist/live` by default, `--page-dir` says where); this
//! module only hands its files out and carries two questions to the
//! gateway, which owns the engine:
//!
//! | request                    | answer                                        |
//! |----------------------------|-----------------------------------------------|
//! | `GET /`                    | `index.html` of the page dir, or a page saying how to build it |
//! | `GET /<name>`              | the file `<name>` of the page dir             |
//! | `GET /lessons/<id>.lesson` | a built-in lesson's text (compiled into this binary) |
//! | `GET /api/tape?from=N`     | the run's tape from input `N` (JSON, below)   |
//! | `POST /api/command`        | one operator line, as typed on stdin (text)   |
//!
//! # The tape
//!
//! The engine is deterministic, so a live run *is* its configuration and
//! the inputs that entered it from outside, in order
//! ([`crate::engine::external::LiveInput`], `Engine::live_tape`). The page
//! builds its own engine from them and animates the same run the clients
//! see. `GET /api/tape?from=N` answers, with `Cache-Control: no-store`:
//!
//! ```text
//! {"config": <ScenarioConfig>, "from": N, "inputs": [<LiveInput>, ...], "len": L,
//!  "bootstrap": "HOST:PORT"}
//! ```
//!
//! `config` is the configuration the live engine started from, `inputs`
//! the tape from index `N` (none if `N >= L`), and `L` the tape's length.
//! One answer carries at most [`MAX_TAPE_INPUTS`] inputs and, past its
//! first, at most [`MAX_TAPE_BYTES`] of them: ask again from
//! `N + inputs.length` while that is below `len`. Before answering, the gateway runs the engine
//! up to the wall clock, so the tape ends with the clock's current
//! `Advance`.
//!
//! One subtlety for a page that follows the tape: consecutive clock moves
//! are kept as one `Advance` whose `ms` grows in place, so the *last* input
//! of an answer may change later. Every input before index `L - 1` is
//! final. A follower therefore asks again from `L - 1` and applies that
//! entry again: a second `Advance` to a later time is the same as one.
//!
//! # Commands
//!
//! `POST /api/command` with a text body of one line (`crash-broker 1`,
//! `restart-broker 1`, `slow-broker 1 500`, `check-replay`) goes to the
//! gateway exactly as a line typed on `kafkascope live`'s stdin does; the
//! answer (`200 text/plain`) is what the gateway said, which it also prints
//! as `live: …`. A POST whose `Origin` is not this server (a page of
//! another site the browser is showing) is refused with 403: this is a
//! local teaching tool, but crashing brokers is still not something any
//! web page should be able to do.
//!
//! # Limits
//!
//! Each connection is its own task and carries one request: every answer
//! says `Connection: close`. A browser costs a handful of connections, so:
//!
//! - at most [`MAX_CONNECTIONS`] open at once; more are accepted and
//!   closed at once;
//! - a request head (request line and headers) of at most
//!   [`MAX_HEAD_BYTES`] (else 431), a body of at most [`MAX_BODY_BYTES`]
//!   (else 413);
//! - the whole request must arrive within [`READ_TIMEOUT`] (else 408), and
//!   the answer must be written within it too;
//! - a file of at most [`MAX_FILE_BYTES`] (the bundle's wasm is a few MB);
//! - a tape answer of at most [`MAX_TAPE_INPUTS`] inputs and
//!   [`MAX_TAPE_BYTES`] of them (beyond the first).
//!
//! Bad input is answered, never trusted: a malformed request is 400, an
//! unknown path 404, a known path with the wrong method 405, a
//! `Transfer-Encoding` (chunked bodies) 501. A file name is served only if
//! it is a plain name of the page dir itself: no `/`, `\`, `..` or leading
//! `.`, only letters, digits, `.`, `-` and `_`. Nothing here panics on any
//! input, and a bad request stalls only its own connection.
//!
//! # Why by hand
//!
//! Four routes, one request per connection and no keep-alive make a small
//! HTTP/1.1 server, smaller than a framework's dependency tree; the kafka
//! side already runs on tokio, and this runs beside it on the same
//! current-thread runtime. Files are read on tokio's blocking pool so a
//! slow disk never stalls the engine's thread.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot, Semaphore};

/// Connections open at once; more are accepted and closed at once.
pub const MAX_CONNECTIONS: usize = 32;
/// The largest request head (request line and headers, blank line included).
pub const MAX_HEAD_BYTES: usize = 16 * 1024;
/// The largest request body (an operator command is one short line).
pub const MAX_BODY_BYTES: usize = 4 * 1024;
/// The whole request must arrive within this; the answer must be written
/// within it too.
pub const READ_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest file served from the page dir.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;
/// The most tape inputs one `GET /api/tape` answer carries.
pub const MAX_TAPE_INPUTS: usize = 2_000;
/// The most bytes of inputs' JSON one `GET /api/tape` answer carries
/// (always at least one input, whatever its size: a record's value may be
/// up to 1 MiB).
pub const MAX_TAPE_BYTES: usize = 8 * 1024 * 1024;

/// What the page asks of the gateway, with where to send its answer.
#[derive(Debug)]
pub enum PageRequest {
    /// The tape from input `from` as the JSON of the module doc, or why it
    /// could not be written (answered 500).
    Tape {
        from: usize,
        reply: oneshot::Sender<Result<String, String>>,
    },
    /// One operator line; the answer is what the gateway said.
    Command {
        line: String,
        reply: oneshot::Sender<String>,
    },
}

/// Accepts on `listener` and serves each connection in its own task, until
/// `tx`'s receiver (the gateway) is dropped.
pub async fn serve_page(listener: TcpListener, page_dir: PathBuf, tx: mpsc::Sender<PageRequest>) {
    let mut admission = crate::live::transport::Admission::new(
        Arc::new(Semaphore::new(MAX_CONNECTIONS)),
        MAX_CONNECTIONS,
        "page".into(),
    );
    let page_dir = Arc::new(page_dir);
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            () = tx.closed() => return,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of file descriptors and the like: transient.
                eprintln!("kafkascope live: page: accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Some(slot) = admission.admit(peer) else {
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let dir = Arc::clone(&page_dir);
        let tx = tx.clone();
        tokio::spawn(async move {
            connection(stream, &dir, &tx).await;
            drop(slot);
        });
    }
}

// ---------------------------------------------------------------------------
// One connection: read one request, answer it, close.

/// An answer, before it is written.
struct Response {
    status: u16,
    content_type: &'static str,
    /// Extra header lines, each without its CRLF.
    headers: Vec<String>,
    body: Vec<u8>,
}

impl Response {
    fn new(status: u16, content_type: &'static str, body: impl Into<Vec<u8>>) -> Response {
        Response {
            status,
            content_type,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// A short plain-text answer (errors, command answers).
    fn text(status: u16, body: impl Into<String>) -> Response {
        let mut body: String = body.into();
        if status >= 400 {
            body.push('\n');
        }
        let mut r = Response::new(status, "text/plain; charset=utf-8", body);
        r.headers.push("Cache-Control: no-store".into());
        r
    }

    fn error(status: u16) -> Response {
        Response::text(status, format!("{status} {}", reason(status)))
    }

    fn method_not_allowed(allow: &str) -> Response {
        let mut r = Response::error(405);
        r.headers.push(format!("Allow: {allow}"));
        r
    }

    fn bytes(&self) -> Vec<u8> {
        let mut head = format!(
            "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\nX-Content-Type-Options: nosniff\r\n",
            self.status,
            reason(self.status),
            self.content_type,
            self.body.len()
        );
        for h in &self.headers {
            head.push_str(h);
            head.push_str("\r\n");
        }
        head.push_str("\r\n");
        let mut out = head.into_bytes();
        out.extend_from_slice(&self.body);
        out
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        411 => "Length Required",
        413 => "Content Too Large",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        _ => "Unknown",
    }
}

/// A request as read: its method, target, headers and body.
struct Request {
    method: String,
    target: String,
    /// Header names lowercased, values trimmed.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

async fn connection(mut stream: TcpStream, page_dir: &Path, tx: &mpsc::Sender<PageRequest>) {
    let read = tokio::time::timeout(READ_TIMEOUT, read_request(&mut stream)).await;
    let (response, whole) = match read {
        Err(_) => (Response::error(408), false),
        Ok(Err(None)) => return, // closed before a whole request: nobody to answer
        Ok(Err(Some(status))) => (Response::error(status), false),
        Ok(Ok(request)) => (route(request, page_dir, tx).await, true),
    };
    let bytes = response.bytes();
    match tokio::time::timeout(READ_TIMEOUT, stream.write_all(&bytes)).await {
        Ok(Ok(())) => {}
        _ => return,
    }
    let _ = stream.shutdown().await;
    if !whole {
        // The client may still be sending what we refused; closing with
        // unread data would reset the connection and could lose the answer
        // on its way. Read and drop a little of it first (bounded in bytes
        // and time).
        let mut sink = [0u8; 4096];
        let mut left = 64 * 1024usize;
        let drain = async {
            while left > 0 {
                match stream.read(&mut sink).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => left = left.saturating_sub(n),
                }
            }
        };
        let _ = tokio::time::timeout(Duration::from_secs(1), drain).await;
    }
}

/// Reads one request. `Err(None)`: the peer closed before a whole request
/// (or the socket failed); `Err(Some(status))`: answer `status`.
async fn read_request(stream: &mut TcpStream) -> Result<Request, Option<u16>> {
    let mut buf: Vec<u8> = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = find_head_end(&buf) {
            break i;
        }
        if buf.len() >= MAX_HEAD_BYTES {
            return Err(Some(431));
        }
        let n = stream.read(&mut chunk).await.map_err(|_| None)?;
        if n == 0 {
            return Err(if buf.is_empty() { None } else { Some(400) });
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    // The head ends at `head_end` (the blank line's CRLF CRLF included).
    if head_end > MAX_HEAD_BYTES {
        return Err(Some(431));
    }
    let head = std::str::from_utf8(&buf[..head_end]).map_err(|_| Some(400))?;
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or("");
    let mut parts = request_line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Some(400));
    };
    if method.is_empty()
        || !method.bytes().all(|b| b.is_ascii_uppercase())
        || target.is_empty()
        || !matches!(version, "HTTP/1.1" | "HTTP/1.0")
        || target.bytes().any(|b| b <= b' ' || b == 0x7f)
    {
        return Err(Some(400));
    }
    let mut headers = Vec::new();
    for line in lines {
        if line.is_empty() {
            continue; // the blank line that ends the head
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(Some(400));
        };
        if name.is_empty() || name.bytes().any(|b| b <= b' ' || b == 0x7f) {
            return Err(Some(400));
        }
        headers.push((name.to_ascii_lowercase(), value.trim().to_string()));
    }
    let mut request = Request {
        method: method.to_string(),
        target: target.to_string(),
        headers,
        body: Vec::new(),
    };
    if request.header("transfer-encoding").is_some() {
        return Err(Some(501));
    }
    let lengths: Vec<&str> = request
        .headers
        .iter()
        .filter(|(n, _)| n == "content-length")
        .map(|(_, v)| v.as_str())
        .collect();
    let length = match lengths.as_slice() {
        [] => 0,
        [one] => {
            if one.is_empty() || !one.bytes().all(|b| b.is_ascii_digit()) {
                return Err(Some(400));
            }
            // Too many digits to parse is too large, not malformed.
            one.parse::<usize>().unwrap_or(usize::MAX)
        }
        _ => return Err(Some(400)),
    };
    if length > MAX_BODY_BYTES {
        return Err(Some(413));
    }
    let mut body = buf[head_end..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await.map_err(|_| None)?;
        if n == 0 {
            return Err(Some(400));
        }
        body.extend_from_slice(&chunk[..n]);
    }
    // Bytes past the declared length would be a second request: one per
    // connection here, so they are dropped.
    body.truncate(length);
    request.body = body;
    Ok(request)
}

/// Where the head ends: just past its first CRLF CRLF.
fn find_head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4)
}

// ---------------------------------------------------------------------------
// Routes.

async fn route(request: Request, page_dir: &Path, tx: &mpsc::Sender<PageRequest>) -> Response {
    if !request.target.starts_with('/') {
        return Response::error(400);
    }
    let (path, query) = split_target(&request.target);
    match path {
        "/api/tape" => {
            if request.method != "GET" {
                return Response::method_not_allowed("GET");
            }
            let from = match query_from(query) {
                Ok(from) => from,
                Err(why) => return Response::text(400, why),
            };
            let (reply, answer) = oneshot::channel();
            if tx.send(PageRequest::Tape { from, reply }).await.is_err() {
                return Response::error(503);
            }
            match answer.await {
                Ok(Ok(json)) => {
                    let mut r = Response::new(200, "application/json", json);
                    r.headers.push("Cache-Control: no-store".into());
                    r
                }
                Ok(Err(why)) => Response::text(500, why),
                Err(_) => Response::error(503),
            }
        }
        "/api/command" => {
            if request.method != "POST" {
                return Response::method_not_allowed("POST");
            }
            if !same_origin(&request) {
                return Response::text(403, "403 Forbidden: a command must come from this page");
            }
            let Ok(text) = std::str::from_utf8(&request.body) else {
                return Response::text(400, "the command is not UTF-8 text");
            };
            let line = text.trim();
            if line.is_empty() || line.contains(['\n', '\r']) {
                return Response::text(400, "send one operator line, e.g. `crash-broker 1`");
            }
            let (reply, answer) = oneshot::channel();
            let sent = tx
                .send(PageRequest::Command {
                    line: line.to_string(),
                    reply,
                })
                .await;
            if sent.is_err() {
                return Response::error(503);
            }
            match answer.await {
                Ok(said) => Response::text(200, said),
                Err(_) => Response::error(503),
            }
        }
        _ if path.starts_with("/api/") => Response::error(404),
        // The built-in lessons, from this binary: the page fetches a
        // lesson's text when it is opened, not from its own bundle.
        _ if path.starts_with("/lessons/") => {
            if request.method != "GET" {
                return Response::method_not_allowed("GET");
            }
            match path
                .strip_prefix("/lessons/")
                .and_then(|name| name.strip_suffix(".lesson"))
                .and_then(crate::lesson::text_of)
            {
                Some(text) => Response::new(200, "text/plain; charset=utf-8", text),
                None => Response::error(404),
            }
        }
        _ => {
            if request.method != "GET" {
                return Response::method_not_allowed("GET");
            }
            static_file(path, page_dir).await
        }
    }
}

/// The target's path and query, with any fragment dropped.
fn split_target(target: &str) -> (&str, &str) {
    let target = target.split('#').next().unwrap_or("");
    match target.split_once('?') {
        Some((path, query)) => (path, query),
        None => (target, ""),
    }
}

/// `from=N` of a tape request's query (0 if absent).
fn query_from(query: &str) -> Result<usize, String> {
    let mut from = 0;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        if name == "from" {
            if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("from takes a tape index, not {value:?}"));
            }
            // Past any tape: as good as the end.
            from = value.parse().unwrap_or(usize::MAX);
        }
    }
    Ok(from)
}

/// A POST with no `Origin` (curl, a test) or one naming this server
/// (`http://` and the `Host` it was sent to).
fn same_origin(request: &Request) -> bool {
    match (request.header("origin"), request.header("host")) {
        (None, _) => true,
        (Some(origin), Some(host)) => origin
            .strip_prefix("http://")
            .is_some_and(|o| o.eq_ignore_ascii_case(host)),
        (Some(_), None) => false,
    }
}

/// A plain file name of the page dir: letters, digits, `.`, `-`, `_`; not
/// starting with `.` (so neither `..` nor hidden files).
fn plain_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && !name.starts_with('.')
        && !name.contains("..")
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}

fn content_type(name: &str) -> &'static str {
    let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
    match ext.to_ascii_lowercase().as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "json" | "map" => "application/json",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

async fn static_file(path: &str, page_dir: &Path) -> Response {
    let name = match path.strip_prefix('/') {
        Some("") => "index.html",
        Some(name) if plain_name(name) => name,
        _ => return Response::error(404),
    };
    let file = page_dir.join(name);
    let read = tokio::task::spawn_blocking(move || -> std::io::Result<Option<Vec<u8>>> {
        let meta = match std::fs::metadata(&file) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        if !meta.is_file() {
            return Ok(None);
        }
        if meta.len() > MAX_FILE_BYTES {
            return Err(std::io::Error::other(format!(
                "larger than {MAX_FILE_BYTES} bytes"
            )));
        }
        std::fs::read(&file).map(Some)
    })
    .await;
    match read {
        Ok(Ok(Some(bytes))) => {
            let mut r = Response::new(200, content_type(name), bytes);
            r.headers.push("Cache-Control: no-cache".into());
            r
        }
        Ok(Ok(None)) if name == "index.html" => not_built(page_dir),
        Ok(Ok(None)) => Response::error(404),
        Ok(Err(e)) => {
            eprintln!("kafkascope live: page: cannot read {name}: {e}");
            Response::error(500)
        }
        Err(_) => Response::error(500),
    }
}

/// `GET /` when the page dir has no `index.html`: say how to build it.
fn not_built(page_dir: &Path) -> Response {
    let dir = html_escape(&page_dir.display().to_string());
    let body = format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>kafkascope live: page not built</title></head>\n\
         <body>\n<h1>The page bundle is not built</h1>\n\
         <p>kafkascope live is serving Kafka clients, but there is no <code>index.html</code> in <code>{dir}</code>.</p>\n\
         <p>Build the page with <code>scripts/live.sh</code>, or with \
         <code>trunk build --release true --dist dist/live static/live/index.html</code>, \
         then reload (or point <code>--page-dir</code> at a built bundle).</p>\n\
         <p>The tape of this run is at <a href=\"/api/tape\">/api/tape</a>.</p>\n\
         </body></html>\n"
    );
    let mut r = Response::new(200, "text/html; charset=utf-8", body);
    r.headers.push("Cache-Control: no-store".into());
    r
}

fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_are_file_names_of_the_dir_itself() {
        for ok in ["index.html", "kafkascope-web-1a2b.js", "app_bg.wasm", "a"] {
            assert!(plain_name(ok), "{ok}");
        }
        for bad in [
            "", ".", "..", ".env", "a/b", "..%2f", "a\\b", "/etc", "a..b", "c:x", "a b",
        ] {
            assert!(!plain_name(bad), "{bad}");
        }
    }

    #[test]
    fn the_target_loses_its_fragment_and_splits_at_the_query() {
        assert_eq!(split_target("/api/tape?from=3#x"), ("/api/tape", "from=3"));
        assert_eq!(split_target("/#frag?x"), ("/", ""));
        assert_eq!(split_target("/a.js"), ("/a.js", ""));
    }

    #[test]
    fn from_is_a_tape_index_and_defaults_to_zero() {
        assert_eq!(query_from(""), Ok(0));
        assert_eq!(query_from("x=1&from=12"), Ok(12));
        assert_eq!(query_from("from=99999999999999999999999"), Ok(usize::MAX));
        assert!(query_from("from=-1").is_err());
        assert!(query_from("from=").is_err());
    }

    #[test]
    fn a_command_from_another_origin_is_refused() {
        let req = |origin: Option<&str>| Request {
            method: "POST".into(),
            target: "/api/command".into(),
            headers: [("host", Some("127.0.0.1:8080")), ("origin", origin)]
                .into_iter()
                .filter_map(|(n, v)| v.map(|v| (n.to_string(), v.to_string())))
                .collect(),
            body: Vec::new(),
        };
        assert!(same_origin(&req(None)));
        assert!(same_origin(&req(Some("http://127.0.0.1:8080"))));
        assert!(!same_origin(&req(Some("http://evil.example"))));
        assert!(!same_origin(&req(Some("null"))));
    }
}
