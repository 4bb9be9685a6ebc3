//! A connector on loopback for tests: a local HTTP endpoint that records each JSON body it is
//! sent and answers what `answer` makes of it (like a help desk behind a webhook connector).

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use serde_json::Value;
use std::sync::{Arc, Mutex};

type Seen = Arc<Mutex<Vec<Value>>>;
type Answer = fn(&Value) -> Value;

/// Starts the endpoint; returns its URL and what it has been sent so far.
pub async fn desk(answer: Answer) -> (String, Seen) {
    async fn receive(State((seen, answer)): State<(Seen, Answer)>, Json(body): Json<Value>) -> Json<Value> {
        seen.lock().unwrap().push(body.clone());
        Json(answer(&body))
    }
    let seen: Seen = Arc::new(Mutex::new(Vec::new()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new().route("/hook", post(receive)).with_state((seen.clone(), answer));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/hook"), seen)
}

/// A help desk that echoes the ticket's description back (a receiver that repeats what it
/// got, to show nothing it repeats is kept).
pub fn echoing_ticket(body: &Value) -> Value {
    serde_json::json!({"ticket_id": "T-9", "number": "9", "url": "https://desk.example/9",
        "created_at": "2026-12-06T10:00:00Z", "echo": body["params"]["description"]})
}
