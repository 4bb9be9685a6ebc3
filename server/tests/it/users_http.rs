//! HTTP tests for people: the `/api/v1/users` REST API, the invitation and password-reset
//! pages and server functions through the real router, sessions ending on suspension, and
//! the outbox sender delivering to a tiny SMTP server run by the test.

use crate::support::orgs::{make_org, make_org_named, PASSWORD};
use app::domain::permission::BuiltInRole;
use app::entities::{org, outbox, session, user};
use app::services::actor::system_actor;
use app::services::{access::api_keys, infra::db, RequestMeta};
use reqwest::header::LOCATION;
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde_json::{json, Value};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

struct TestServer {
    base: String,
    db: DatabaseConnection,
    org: org::Model,
    owner: user::Model,
    _dir: tempfile::TempDir,
}

impl TestServer {
    /// A server with org `acme` and its Owner; `smtp` points the outbox sender at an SMTP server.
    async fn start(smtp: Option<String>) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().display().to_string();
        let url = format!("sqlite://{path}/t.db?mode=rwc");
        let mut args = vec![
            "mandate".to_string(),
            "--addr".into(),
            "127.0.0.1:0".into(),
            "--database-url".into(),
            url.clone(),
            "--data-dir".into(),
            path.clone(),
            "--site-root".into(),
            path.clone(),
            "--log".into(),
            "warn".into(),
        ];
        if let Some(s) = smtp {
            args.extend([
                "--smtp-url".to_string(),
                s,
                "--mail-from".into(),
                "Mandate Test <mandate@test.example>".into(),
            ]);
        }
        let cli = <server::cli::Cli as clap::Parser>::try_parse_from(args).unwrap();
        let app = server::startup::Application::build(cli.config).await.expect("server starts");
        let base = format!("http://{}", app.addr());
        tokio::spawn(app.run_until_stopped());
        let db = db::connect(&url).await.unwrap();
        let (org, owner) = make_org_named(&db, "Acme", "acme").await;
        TestServer { base, db, org, owner, _dir: dir }
    }

    async fn key(&self, role: BuiltInRole) -> String {
        self.key_in(&self.org, role).await
    }

    async fn key_in(&self, o: &org::Model, role: BuiltInRole) -> String {
        api_keys::create_management_key(
            &self.db,
            o,
            &format!("{} key", role.name()),
            role,
            &system_actor(),
            &RequestMeta::default(),
        )
        .await
        .unwrap()
        .secret
    }

    /// A REST call: (status, JSON body or Null).
    async fn api(&self, key: &str, method: &str, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut req = reqwest::Client::new()
            .request(method.parse().unwrap(), format!("{}/api/v1{path}", self.base))
            .bearer_auth(key);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        let status = res.status();
        let text = res.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// A browser: keeps cookies, does not follow redirects.
    fn browser(&self) -> reqwest::Client {
        reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap()
    }

    /// Posts a form to a server function the way a page does (same-site Origin).
    async fn post_form(&self, client: &reqwest::Client, endpoint: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        client
            .post(format!("{}/api/{endpoint}", self.base))
            .header("origin", &self.base)
            .form(fields)
            .send()
            .await
            .unwrap()
    }

    async fn get(&self, client: &reqwest::Client, path: &str) -> reqwest::Response {
        client.get(format!("{}{path}", self.base)).send().await.unwrap()
    }

    async fn last_mail_to(&self, to: &str) -> outbox::Model {
        outbox::Entity::find()
            .filter(outbox::Column::ToEmail.eq(to))
            .order_by_desc(outbox::Column::Id)
            .one(&self.db)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("no mail to {to}"))
    }

    /// The path (`/invite/…`) of the link in the newest mail to `to`, checking it points here.
    async fn link_to(&self, to: &str, kind: &str) -> String {
        let body = self.last_mail_to(to).await.body;
        let prefix = format!("{}/{kind}/", self.base);
        let start = body.find(&prefix).unwrap_or_else(|| panic!("no {prefix} link in {body}"));
        let link = body[start..].split_whitespace().next().unwrap();
        link.strip_prefix(&self.base).unwrap().to_string()
    }
}

fn location(res: &reqwest::Response) -> String {
    res.headers().get(LOCATION).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default()
}

// ---------------------------------------------------------------------------------------
// REST

#[tokio::test]
async fn rest_users_crud_with_permissions_and_tenancy() {
    let s = TestServer::start(None).await;
    let owner_key = s.key(BuiltInRole::Owner).await;
    let viewer_key = s.key(BuiltInRole::Viewer).await;

    let (status, body) = s
        .api(
            &owner_key,
            "POST",
            "/users",
            Some(json!({"email": "Ada@Example.com", "display_name": "Ada", "role_id": "role-approver"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["email"], "ada@example.com");
    assert_eq!(body["status"], "invited");
    assert_eq!(body["roles"][0]["role_name"], "Approver");
    let text = body.to_string();
    assert!(!text.contains("token") && !text.contains("password"), "no secrets: {text}");
    let id = body["id"].as_str().unwrap().to_string();
    assert!(s.last_mail_to("ada@example.com").await.body.contains(&format!("{}/invite/", s.base)));

    // Invalid input: 422 with the fields; unknown fields refused; the same email twice: 409.
    let (status, body) = s.api(&owner_key, "POST", "/users", Some(json!({"email": "nope", "display_name": ""}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert!(fields.contains(&"email") && fields.contains(&"display_name"), "{body}");
    let (status, _) = s
        .api(&owner_key, "POST", "/users", Some(json!({"email": "b@example.com", "display_name": "B", "admin": true})))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = s
        .api(&owner_key, "POST", "/users", Some(json!({"email": "owner@acme.example.com", "display_name": "O"})))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);

    // A Viewer reads but does not change.
    let (status, body) = s.api(&viewer_key, "GET", "/users?q=ADA", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["items"].as_array().unwrap().len(), 1);
    assert_eq!(body["next_cursor"], Value::Null);
    let (status, body) =
        s.api(&viewer_key, "POST", "/users", Some(json!({"email": "v@example.com", "display_name": "V"}))).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::FORBIDDEN, Some("PERMISSION_DENIED")));
    let (status, _) = s.api(&viewer_key, "PATCH", &format!("/users/{id}"), Some(json!({"display_name": "X"}))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = s.api(&viewer_key, "DELETE", &format!("/users/{id}"), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Paging.
    let (status, body) = s.api(&owner_key, "GET", "/users?limit=1", None).await;
    assert_eq!(status, StatusCode::OK);
    let cursor = body["next_cursor"].as_str().unwrap().to_string();
    let (_, body2) = s.api(&owner_key, "GET", &format!("/users?limit=1&cursor={cursor}"), None).await;
    assert_ne!(body["items"][0]["id"], body2["items"][0]["id"]);
    let (status, _) = s.api(&owner_key, "GET", "/users?limit=1000", None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // Get, patch (null team), suspend, delete.
    let (status, body) = s.api(&owner_key, "GET", &format!("/users/{id}"), None).await;
    assert_eq!((status, body["display_name"].as_str()), (StatusCode::OK, Some("Ada")));
    let (status, body) = s
        .api(&owner_key, "PATCH", &format!("/users/{id}"), Some(json!({"display_name": "Ada L.", "team_id": null})))
        .await;
    assert_eq!((status, body["display_name"].as_str()), (StatusCode::OK, Some("Ada L.")), "{body}");
    let (status, body) =
        s.api(&owner_key, "PATCH", &format!("/users/{id}"), Some(json!({"status": "suspended"}))).await;
    assert_eq!((status, body["status"].as_str()), (StatusCode::OK, Some("suspended")));
    let (status, body) = s.api(&owner_key, "PATCH", &format!("/users/{id}"), Some(json!({"status": "deleted"}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    // The last active Owner cannot be suspended or deleted.
    let owner_path = format!("/users/{}", s.owner.id);
    let (status, body) = s.api(&owner_key, "PATCH", &owner_path, Some(json!({"status": "suspended"}))).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::CONFLICT, Some("CONFLICT")));
    let (status, _) = s.api(&owner_key, "DELETE", &owner_path, None).await;
    assert_eq!(status, StatusCode::CONFLICT);

    // Another org's key: 404 for this org's ids.
    let (other, _) = make_org(&s.db, "other").await;
    let other_key = s.key_in(&other, BuiltInRole::Owner).await;
    for (method, body) in [("GET", None), ("PATCH", Some(json!({"display_name": "Mine"}))), ("DELETE", None)] {
        let (status, res) = s.api(&other_key, method, &format!("/users/{id}"), body).await;
        assert_eq!((status, res["code"].as_str()), (StatusCode::NOT_FOUND, Some("NOT_FOUND")), "{method}");
    }

    let (status, _) = s.api(&owner_key, "DELETE", &format!("/users/{id}"), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = s.api(&owner_key, "GET", &format!("/users/{id}"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

// ---------------------------------------------------------------------------------------
// Pages and server functions

#[tokio::test]
async fn invited_person_accepts_signs_in_and_is_cut_off_when_suspended() {
    let s = TestServer::start(None).await;
    let owner_key = s.key(BuiltInRole::Owner).await;
    let (status, body) =
        s.api(&owner_key, "POST", "/users", Some(json!({"email": "ben@example.com", "display_name": "Ben"}))).await;
    assert_eq!(status, StatusCode::CREATED);
    let id = body["id"].as_str().unwrap().to_string();
    let link = s.link_to("ben@example.com", "invite").await;
    let token = link.trim_start_matches("/invite/").to_string();

    // The invitation page is public and names the org.
    let ben = s.browser();
    let res = s.get(&ben, &link).await;
    assert_eq!(res.status(), StatusCode::OK, "public page, no sign-in redirect");
    let html = res.text().await.unwrap();
    assert!(html.contains("Join Acme"), "{html}");
    // An unknown link: the page says so (with a 404 status), still without a sign-in redirect.
    let res = s.get(&ben, "/invite/not-a-real-token").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(res.text().await.unwrap().contains("not valid any more"));

    // A weak password: 422 with the field; then the real one signs in.
    let res = s
        .post_form(&ben, "invite_accept", &[("token", &token), ("password", "short"), ("password_confirm", "short")])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = s
        .post_form(&ben, "invite_accept", &[("token", &token), ("password", PASSWORD), ("password_confirm", PASSWORD)])
        .await;
    assert!(res.status().is_success() || res.status().is_redirection(), "{}", res.status());
    let res = s.get(&ben, "/org/users").await;
    assert_eq!(res.status(), StatusCode::OK, "signed in: {}", location(&res));
    let res = s.post_form(&ben, "account_get", &[]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let account: Value = res.json().await.unwrap();
    assert_eq!(account["email"], "ben@example.com");
    assert_eq!(account["sessions"].as_array().unwrap().len(), 1);
    assert_eq!(account["sessions"][0]["current"], true);
    // The token is used up.
    let again = s.browser();
    let res = s
        .post_form(
            &again,
            "invite_accept",
            &[("token", &token), ("password", PASSWORD), ("password_confirm", PASSWORD)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // A Viewer may not manage people (server functions say so too).
    let res = s.post_form(&ben, "users_invite", &[("email", "x@example.com"), ("display_name", "X")]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = s.post_form(&ben, "outbox_list", &[]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = s.post_form(&ben, "users_list", &[("q", "ben")]).await;
    assert_eq!(res.status(), StatusCode::OK);

    // Suspended: the session rows go, and the next request is signed out.
    let (status, _) = s.api(&owner_key, "PATCH", &format!("/users/{id}"), Some(json!({"status": "suspended"}))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(session::Entity::find().filter(session::Column::UserId.eq(id.as_str())).count(&s.db).await.unwrap(), 0);
    let res = s.get(&ben, "/org/users").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "redirected to sign-in");
    assert!(location(&res).starts_with("/login"), "{}", location(&res));
    let res = s.post_form(&ben, "account_get", &[]).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn forgot_password_answers_the_same_and_reset_works() {
    let s = TestServer::start(None).await;
    let anon = s.browser();
    for path in ["/forgot-password", "/login"] {
        let res = s.get(&anon, path).await;
        assert_eq!(res.status(), StatusCode::OK, "{path} is public");
    }
    // An unknown reset link renders its explanation (404), not a sign-in redirect.
    let res = s.get(&anon, "/reset-password/whatever").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(res.text().await.unwrap().contains("Ask for a new one"));
    let login_html = s.get(&anon, "/login").await.text().await.unwrap();
    assert!(login_html.contains("href=\"/forgot-password\""), "Forgot password? link on /login");

    let mails = || async { outbox::Entity::find().count(&s.db).await.unwrap() };
    let before = mails().await;
    let unknown = s.post_form(&anon, "password_forgot", &[("email", "nobody@example.com")]).await;
    assert_eq!(unknown.status(), StatusCode::OK);
    let unknown_body = unknown.text().await.unwrap();
    assert_eq!(mails().await, before, "no mail for an unknown email");
    let known = s.post_form(&anon, "password_forgot", &[("email", "owner@acme.example.com")]).await;
    assert_eq!(known.status(), StatusCode::OK);
    assert_eq!(known.text().await.unwrap(), unknown_body, "the same answer either way");
    assert_eq!(mails().await, before + 1);

    // The owner is signed in elsewhere; the reset ends that session.
    let elsewhere = s.browser();
    let res = s.post_form(&elsewhere, "login", &[("email", "owner@acme.example.com"), ("password", PASSWORD)]).await;
    assert!(res.status().is_success() || res.status().is_redirection());
    assert_eq!(s.get(&elsewhere, "/org/users").await.status(), StatusCode::OK);

    let link = s.link_to("owner@acme.example.com", "reset-password").await;
    let html = s.get(&anon, &link).await.text().await.unwrap();
    assert!(html.contains("owner@acme.example.com"), "the reset page names the account");
    let token = link.trim_start_matches("/reset-password/").to_string();
    let new = "amber lantern sleeps late";
    let res =
        s.post_form(&anon, "password_reset", &[("token", &token), ("password", new), ("password_confirm", new)]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(s.get(&elsewhere, "/org/users").await.status(), StatusCode::SEE_OTHER, "other sessions ended");
    let res = s.post_form(&s.browser(), "login", &[("email", "owner@acme.example.com"), ("password", new)]).await;
    assert!(res.status().is_success() || res.status().is_redirection(), "new password works: {}", res.status());
    let res =
        s.post_form(&anon, "password_reset", &[("token", &token), ("password", new), ("password_confirm", new)]).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "single use");
}

// ---------------------------------------------------------------------------------------
// The SMTP sender

/// A minimal SMTP server: accepts every command (or refuses recipients with 550), and
/// sends each message's DATA down the channel.
async fn smtp_sink(refuse_recipients: bool) -> (u16, mpsc::UnboundedReceiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 sink.test ESMTP\r\n").await.ok();
                while let Ok(Some(line)) = lines.next_line().await {
                    let upper = line.to_ascii_uppercase();
                    let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                        b"250 sink.test\r\n"
                    } else if upper.starts_with("RCPT TO") && refuse_recipients {
                        b"550 5.1.1 no such user\r\n"
                    } else if upper.starts_with("MAIL FROM")
                        || upper.starts_with("RCPT TO")
                        || upper == "RSET"
                        || upper == "NOOP"
                    {
                        b"250 OK\r\n"
                    } else if upper == "DATA" {
                        write.write_all(b"354 go ahead\r\n").await.ok();
                        let mut data = String::new();
                        while let Ok(Some(l)) = lines.next_line().await {
                            if l == "." {
                                break;
                            }
                            data.push_str(l.strip_prefix('.').unwrap_or(&l));
                            data.push('\n');
                        }
                        tx.send(data).ok();
                        b"250 OK queued\r\n"
                    } else if upper == "QUIT" {
                        write.write_all(b"221 bye\r\n").await.ok();
                        break;
                    } else {
                        b"502 not implemented\r\n"
                    };
                    if write.write_all(reply).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    (port, rx)
}

#[tokio::test]
async fn queued_mail_is_delivered_over_smtp_and_marked_sent() {
    let (port, mut received) = smtp_sink(false).await;
    let s = TestServer::start(Some(format!("smtp://127.0.0.1:{port}"))).await;
    let owner_key = s.key(BuiltInRole::Owner).await;
    let (status, _) =
        s.api(&owner_key, "POST", "/users", Some(json!({"email": "cat@example.com", "display_name": "Cat"}))).await;
    assert_eq!(status, StatusCode::CREATED);
    let link = s.link_to("cat@example.com", "invite").await;

    let data =
        tokio::time::timeout(Duration::from_secs(30), received.recv()).await.expect("mail delivered in time").unwrap();
    assert!(data.contains("To: cat@example.com"), "{data}");
    assert!(
        data.contains("From: \"Mandate Test\" <mandate@test.example>")
            || data.contains("From: Mandate Test <mandate@test.example>"),
        "{data}"
    );
    assert!(data.contains("Subject: You are invited to Acme on Mandate"), "{data}");
    assert!(data.contains(&format!("{}{link}", s.base)), "the full link: {data}");

    // The row is marked sent (the sender records it right after the server's 250).
    let mut sent = None;
    for _ in 0..50 {
        let m = s.last_mail_to("cat@example.com").await;
        if m.sent_at.is_some() {
            sent = Some(m);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let m = sent.expect("marked sent");
    assert_eq!((m.attempts, m.last_error), (1, None));
}

#[tokio::test]
async fn a_refused_recipient_is_recorded_and_not_retried() {
    let (port, _received) = smtp_sink(true).await;
    let s = TestServer::start(None).await;
    let owner_key = s.key(BuiltInRole::Owner).await;
    let (status, _) =
        s.api(&owner_key, "POST", "/users", Some(json!({"email": "dan@example.com", "display_name": "Dan"}))).await;
    assert_eq!(status, StatusCode::CREATED);

    let mailer =
        server::mailer::Mailer::new(&format!("smtp://127.0.0.1:{port}"), "Mandate <mandate@localhost>").unwrap();
    let (sent, failed) = server::mailer::deliver_due(&s.db, &mailer, 10).await.unwrap();
    assert_eq!((sent, failed), (0, 1));
    let m = s.last_mail_to("dan@example.com").await;
    assert!(m.sent_at.is_none());
    assert!(m.last_error.as_deref().unwrap_or_default().contains("no such user"), "{:?}", m.last_error);
    assert_eq!(m.attempts, app::domain::users::MAIL_MAX_ATTEMPTS, "a permanent refusal is final");
    assert_eq!(server::mailer::deliver_due(&s.db, &mailer, 10).await.unwrap(), (0, 0), "not retried");

    // A server that is not there: a transient failure, retried later.
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dead_port = closed.local_addr().unwrap().port();
    drop(closed);
    let (status, _) =
        s.api(&owner_key, "POST", "/users", Some(json!({"email": "eve@example.com", "display_name": "Eve"}))).await;
    assert_eq!(status, StatusCode::CREATED);
    let dead =
        server::mailer::Mailer::new(&format!("smtp://127.0.0.1:{dead_port}"), "Mandate <mandate@localhost>").unwrap();
    assert_eq!(server::mailer::deliver_due(&s.db, &dead, 10).await.unwrap(), (0, 1));
    let m = s.last_mail_to("eve@example.com").await;
    assert_eq!(m.attempts, 1);
    assert!(m.next_attempt_at.unwrap() > db::now());

    // Bad settings are refused with the setting named.
    assert!(server::mailer::Mailer::new("ftp://x", "a@b.c").unwrap_err().message.contains("MANDATE_SMTP_URL"));
    assert!(server::mailer::Mailer::new("smtp://localhost", "not an address")
        .unwrap_err()
        .message
        .contains("MANDATE_MAIL_FROM"));
}
