//! The sockets of live mode: listeners, connections, and the one channel
//! that carries decoded requests to the engine and replies back.
//!
//! # Shape
//!
//! [`serve`] accepts on one listener per simulated broker. Each accepted
//! connection is its own task, which loops: read a frame ([`read_frame`]),
//! decode it ([`decode_request`]), send an [`Inbound::Request`] to the engine
//! with a oneshot for the [`Reply`], *wait for that reply*, write it, and only
//! then read the next frame. When the connection ends, for any reason, the
//! engine hears [`Inbound::Closed`] exactly once.
//!
//! # One request at a time per connection
//!
//! That is Kafka's rule too: `SocketServer`'s `Processor` mutes a channel
//! when it hands a request to the request channel (`selector.mute` in
//! `processCompletedReceives`) and unmutes it only when the response has been
//! sent (`processCompletedSends`) or there is none to send (`NoOpResponse`
//! in `processNewResponses`), so responses on one connection go out in
//! request order (`core/src/main/scala/kafka/network/SocketServer.scala`).
//! Clients pipeline anyway (`max.in.flight.requests.per.connection`); their
//! next requests wait in the socket buffer, as they would at a broker.
//!
//! A Produce with `acks=0` gets no response at all in Kafka; the engine says
//! so with [`Reply::None`] and the connection reads on.
//!
//! # Bad input
//!
//! A frame past [`Limits::max_frame_bytes`], an unknown api, a malformed
//! body, or an unsupported version close the connection, as Kafka does
//! (`processChannelException`); an ApiVersions request at an unsupported
//! version is answered with [`unsupported_version_reply`] and the
//! connection lives on (KIP-511). See [`super::frame`].
//!
//! # Isolation
//!
//! A slow or malformed client stalls only its own task. Connections beyond
//! [`Limits::max_connections`] are accepted and closed at once (Kafka's
//! `max.connections` instead stops accepting; closing tells the client now).
//! A connection idle past [`Limits::idle_timeout_ms`] is closed (Kafka's
//! `connections.max.idle.ms`, 10 minutes by default,
//! `server/src/main/java/org/apache/kafka/network/SocketServerConfigs.java`).
//! The channel to the engine is bounded by its creator; a connection waits
//! for room (`send().await`), and if the engine is gone the send fails and
//! the connection closes.
//!
//! # Tasks
//!
//! Everything a connection task holds (a `TcpStream`, the channel's sender,
//! a decoded [`Request`]) is `Send`, so tasks are started with
//! `tokio::spawn`: on the gateway's current-thread runtime they run on its
//! one thread, beside the engine's `LocalSet` tasks, and no `LocalSet` is
//! needed here. [`serve`] returns when the engine drops its receiver, and
//! every connection closes then too.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot, watch, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;

use super::frame::{
    decode_request, read_frame, unsupported_version_reply, Request, MAX_FRAME_BYTES,
};

/// What a client may cost us.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Open connections, over all listeners.
    pub max_connections: usize,
    /// The largest frame read (its size prefix not counted).
    pub max_frame_bytes: usize,
    /// A connection that sends no whole request for this long is closed; a
    /// response that cannot be written for this long closes it too.
    pub idle_timeout_ms: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_connections: 64,
            max_frame_bytes: MAX_FRAME_BYTES,
            idle_timeout_ms: 600_000,
        }
    }
}

/// A connection's id, unique within one [`serve`], in accept order from 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnId(pub u64);

/// The engine's answer to one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// A whole response frame, size prefix included
    /// ([`super::frame::encode_response`]).
    Frame(Bytes),
    /// No response for this request (Produce with `acks=0`); read the next.
    None,
    /// Close the connection.
    Close,
}

/// What the connections tell the engine. (`Request` is much larger than
/// `Closed`; each is moved once, into the channel and out, so boxing it would
/// only add an allocation per request.)
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
pub enum Inbound {
    /// A decoded request on connection `conn` to broker `broker` (the index
    /// given with its listener). The connection reads nothing more until
    /// `reply` is answered; dropping `reply` closes the connection.
    Request {
        conn: ConnId,
        broker: u32,
        request: Request,
        reply: oneshot::Sender<Reply>,
    },
    /// Connection `conn` is gone; sent once per accepted connection (one
    /// refused over the limit never appears), after its last request.
    Closed { conn: ConnId, broker: u32 },
}

/// Accepts on every `(broker index, listener)` and serves each connection in
/// its own task, until `to_engine`'s receiver is dropped.
pub async fn serve(
    listeners: Vec<(u32, TcpListener)>,
    limits: Limits,
    to_engine: mpsc::Sender<Inbound>,
) {
    // Always up: the senders live as long as the serving does.
    let (_always, up): (Vec<_>, Vec<_>) = listeners.iter().map(|_| watch::channel(true)).unzip();
    serve_brokers(listeners, up, limits, to_engine).await
}

/// As [`serve`], with each broker's liveness (`up[i]` for the i-th
/// listener): while a broker is down its port is closed, so a client's
/// connect is refused, as it is by a crashed broker's machine, and its open
/// connections are closed. Clients then back off and refresh their
/// metadata instead of reconnecting in a tight loop. When it comes back,
/// its port is bound again.
pub async fn serve_brokers(
    listeners: Vec<(u32, TcpListener)>,
    up: Vec<watch::Receiver<bool>>,
    limits: Limits,
    to_engine: mpsc::Sender<Inbound>,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let next_id = Arc::new(AtomicU64::new(1));
    let mut accepting = JoinSet::new();
    for ((broker, listener), up) in listeners.into_iter().zip(up) {
        accepting.spawn(accept_loop(
            broker,
            listener,
            up,
            limits,
            Arc::clone(&slots),
            Arc::clone(&next_id),
            to_engine.clone(),
        ));
    }
    // The accept loops never end on their own; the engine going away ends
    // them (dropping the JoinSet aborts them).
    to_engine.closed().await;
    accepting.shutdown().await;
}

#[allow(clippy::too_many_arguments)]
async fn accept_loop(
    broker: u32,
    listener: TcpListener,
    mut up: watch::Receiver<bool>,
    limits: Limits,
    slots: Arc<Semaphore>,
    next_id: Arc<AtomicU64>,
    to_engine: mpsc::Sender<Inbound>,
) {
    let mut listener = Some(listener);
    let mut admission = Admission::new(slots, limits.max_connections, format!("broker {broker}"));
    let addr = listener.as_ref().and_then(|l| l.local_addr().ok());
    loop {
        if !*up.borrow_and_update() {
            // Down: close the port until the broker is back.
            listener = None;
            if up.changed().await.is_err() {
                return;
            }
            continue;
        }
        if listener.is_none() {
            let Some(addr) = addr else { return };
            match TcpListener::bind(addr).await {
                Ok(l) => listener = Some(l),
                Err(e) => {
                    eprintln!(
                        "kafkascope live: broker {broker}: cannot listen on {addr} again: {e}"
                    );
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    continue;
                }
            }
        }
        let Some(l) = listener.as_ref() else { continue };
        let accepted = tokio::select! {
            a = l.accept() => a,
            changed = up.changed() => {
                if changed.is_err() {
                    return;
                }
                continue;
            }
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of file descriptors and the like: transient. Wait a
                // little rather than spin.
                eprintln!("kafkascope live: broker {broker}: accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Some(slot) = admission.admit(peer) else {
            drop(stream);
            continue;
        };
        let conn = ConnId(next_id.fetch_add(1, Ordering::Relaxed));
        let _ = stream.set_nodelay(true);
        tokio::spawn(connection(
            conn,
            broker,
            peer,
            stream,
            up.clone(),
            limits,
            to_engine.clone(),
            slot,
        ));
    }
}

/// A listener's places under a connection limit (`slots`, which several
/// listeners may share), and the refusals not yet reported.
pub(crate) struct Admission {
    slots: Arc<Semaphore>,
    max: usize,
    /// Who refuses, in the log: `broker 1`, `page`.
    who: String,
    refusals: u64,
    last_said: Option<std::time::Instant>,
}

impl Admission {
    pub(crate) fn new(slots: Arc<Semaphore>, max: usize, who: String) -> Admission {
        Admission {
            slots,
            max,
            who,
            refusals: 0,
            last_said: None,
        }
    }

    /// A place for a new connection from `peer`, or `None`: the limit is
    /// reached and the connection is to be closed. Refusals are said once
    /// per second at most, with a count: a crowd of retrying clients would
    /// otherwise write a line per attempt.
    pub(crate) fn admit(&mut self, peer: std::net::SocketAddr) -> Option<OwnedSemaphorePermit> {
        if let Ok(slot) = Arc::clone(&self.slots).try_acquire_owned() {
            return Some(slot);
        }
        self.refusals += 1;
        if self
            .last_said
            .is_none_or(|t| t.elapsed() >= Duration::from_secs(1))
        {
            eprintln!(
                "kafkascope live: {}: refused {} connection(s), the last from {peer}: {} connections open (the limit)",
                self.who, self.refusals, self.max
            );
            self.refusals = 0;
            self.last_said = Some(std::time::Instant::now());
        }
        None
    }
}

/// One connection, start to end; `slot` is its place under the limit.
async fn connection(
    conn: ConnId,
    broker: u32,
    peer: SocketAddr,
    mut stream: TcpStream,
    mut up: watch::Receiver<bool>,
    limits: Limits,
    to_engine: mpsc::Sender<Inbound>,
    slot: OwnedSemaphorePermit,
) {
    let why = tokio::select! {
        why = serve_connection(conn, broker, &mut stream, limits, &to_engine) => why,
        () = went_down(&mut up) => Some("the broker crashed".to_string()),
    };
    if let Some(why) = why {
        eprintln!(
            "kafkascope live: broker {broker}: closing {peer} (conn {}): {why}",
            conn.0
        );
    }
    // The socket and the slot are released before the engine hears of it,
    // so by then a new connection can take the place.
    drop(stream);
    drop(slot);
    let _ = to_engine.send(Inbound::Closed { conn, broker }).await;
}

/// The request loop; returns why it stopped (`None` for an orderly close:
/// the client's end of stream, or the engine's [`Reply::Close`]).
async fn serve_connection(
    conn: ConnId,
    broker: u32,
    stream: &mut TcpStream,
    limits: Limits,
    to_engine: &mpsc::Sender<Inbound>,
) -> Option<String> {
    let idle = Duration::from_millis(limits.idle_timeout_ms);
    loop {
        let read = tokio::time::timeout(idle, read_frame(stream, limits.max_frame_bytes));
        let frame = tokio::select! {
            read = read => match read {
                Err(_) => return Some("idle past the timeout".to_string()),
                Ok(Ok(None)) => return None,
                Ok(Ok(Some(frame))) => frame,
                Ok(Err(e)) => return Some(e.to_string()),
            },
            // Waiting on a quiet client must not outlive the engine.
            () = to_engine.closed() => return Some("the engine is gone".to_string()),
        };
        let request = match decode_request(frame) {
            Ok(request) => request,
            Err(e) => match unsupported_version_reply(&e) {
                Some(answer) => {
                    if let Err(why) = write(stream, &answer, idle).await {
                        return Some(why);
                    }
                    continue;
                }
                None => return Some(e.to_string()),
            },
        };
        let (reply, answer) = oneshot::channel();
        let sent = to_engine
            .send(Inbound::Request {
                conn,
                broker,
                request,
                reply,
            })
            .await;
        if sent.is_err() {
            return Some("the engine is gone".to_string());
        }
        match answer.await {
            Ok(Reply::Frame(bytes)) => {
                if let Err(why) = write(stream, &bytes, idle).await {
                    return Some(why);
                }
            }
            Ok(Reply::None) => {}
            Ok(Reply::Close) => return None,
            Err(_) => return Some("the engine dropped the request".to_string()),
        }
    }
}

/// Resolves when the broker goes down (never, if its state sender is gone).
async fn went_down(up: &mut watch::Receiver<bool>) {
    loop {
        if !*up.borrow_and_update() {
            return;
        }
        if up.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// Writes a whole frame, or says why it could not.
async fn write(stream: &mut TcpStream, frame: &[u8], idle: Duration) -> Result<(), String> {
    match tokio::time::timeout(idle, stream.write_all(frame)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(format!("write failed: {e}")),
        Err(_) => Err("a response could not be written within the timeout".to_string()),
    }
}
