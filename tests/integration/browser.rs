//! `kubectl tripreport serve` in a real headless Chromium, driven through WebDriver (Debian's
//! chromium and chromium-driver, installed by tests/browser/install.sh when missing): a reader
//! of one namespace opens the index, follows links, sees a `<script>` payload as text that never
//! runs, and sees a rating edited in the cluster on the next load.

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::actions::{InputSource as _, KeyAction, KeyActions};
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use kube::api::{Patch, PatchParams};
use serde_json::{Value, json};

use crate::operator::{Fixture, fixture};
use crate::reading::{PLUGIN, namespace_reader};
use crate::support::eventually;

/// A child process killed when dropped.
pub struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The chromedriver binary, installing Debian's packages first if they are missing.
fn chromedriver() -> String {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/browser/install.sh");
    let out = Command::new("bash")
        .arg(script)
        .stderr(Stdio::inherit())
        .output()
        .expect("run tests/browser/install.sh");
    assert!(
        out.status.success(),
        "tests/browser/install.sh failed (see above)"
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// chromedriver, and a WebDriver session in headless Chromium with a fresh profile.
async fn browser() -> (Process, Client) {
    let port = free_port();
    let mut command = Command::new(chromedriver());
    command
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    testenv::die_with_this_thread(&mut command);
    let driver = Process(command.spawn().expect("start chromedriver"));
    let profile = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("chromium-profile-{port}"));
    // The flags keep Chromium off the network it would otherwise call home on (closed here).
    let capabilities: serde_json::Map<String, Value> = serde_json::from_value(json!({
        "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-quic", "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--window-size=1200,1400",
                     format!("--user-data-dir={}", profile.display())]
        }
    }))
    .expect("capabilities");
    let url = format!("http://127.0.0.1:{port}");
    let client = eventually(
        "chromedriver to start a session",
        Duration::from_secs(60),
        || {
            let capabilities = capabilities.clone();
            let url = url.clone();
            async move {
                ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                    .capabilities(capabilities)
                    .connect(&url)
                    .await
                    .map_err(|e| e.to_string())
            }
        },
    )
    .await;
    (driver, client)
}

/// `kubectl tripreport serve -n NS --addr 127.0.0.1:0` as `kubeconfig`, and its address.
fn serve(kubeconfig: &Path, namespace: &str) -> (Process, String) {
    let (process, url, _) = serve_with(
        kubeconfig,
        &["serve", "-n", namespace, "--addr", "127.0.0.1:0"],
    );
    (process, url)
}

/// The plugin run with `args` as `kubeconfig`, its address, read from the line it prints when
/// it serves, and the lines it printed before.
pub fn serve_with(kubeconfig: &Path, args: &[&str]) -> (Process, String, Vec<String>) {
    let mut command = Command::new(PLUGIN);
    command
        .args(args)
        .env("KUBECONFIG", kubeconfig)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    testenv::die_with_this_thread(&mut command);
    let mut child = command.spawn().expect("start kubectl-tripreport serve");
    let stderr = child.stderr.take().expect("piped stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let process = Process(child);
    let mut seen = Vec::new();
    while let Ok(line) = rx.recv_timeout(Duration::from_secs(60)) {
        if let Some(url) = line.split_whitespace().find(|w| w.starts_with("http://")) {
            assert!(line.contains("(loopback only)"), "{line}");
            return (process, url.trim_end_matches('/').to_string(), seen);
        }
        seen.push(line);
    }
    panic!("serve printed no address; it said: {seen:?}")
}

/// The samples, moved into the test's namespace, and one report whose author tried markup.
async fn apply_reports(f: &Fixture) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/samples");
    let mut manifests = String::new();
    for file in [
        "20-kubecon-eu-2019-barcelona.yaml",
        "30-kubecon-eu-2019-barcelona-pt.yaml",
    ] {
        let text = std::fs::read_to_string(Path::new(dir).join(file)).expect("read a sample");
        manifests.push_str(&text.replace(
            "namespace: tripreports-samples",
            &format!("namespace: {}", f.env.namespace),
        ));
        manifests.push_str("\n---\n");
    }
    let mut kubectl = f.env.cp.kubectl();
    kubectl
        .args(["apply", "--server-side", "-f", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null());
    let mut child = kubectl.spawn().expect("kubectl apply");
    std::io::Write::write_all(child.stdin.as_mut().expect("stdin"), manifests.as_bytes())
        .expect("write manifests");
    assert!(
        child.wait().expect("kubectl apply").success(),
        "kubectl apply of the samples failed"
    );

    let mut payload = crate::operator::report("payload");
    payload["spec"]["title"] = json!(TITLE);
    payload["spec"]["body"] = json!(BODY);
    f.apply_ok(&f.reports, payload).await;
    let mut rec = crate::operator::recommendation("payload-loki", "payload", LOKI, 3);
    rec["spec"]["talk"] = json!({"title": LOKI});
    rec["spec"]["recommendedBy"] = json!("Ana Souza");
    f.apply_ok(&f.recs, rec).await;
    for name in [
        "payload",
        "kubecon-eu-2019-barcelona",
        "kubecon-eu-2019-barcelona-pt",
    ] {
        f.wait_condition(&f.reports, name, "Ready", "True", None)
            .await;
    }
}

const TITLE: &str = "Notes <script>window.pwned=1</script>";
const BODY: &str = "We liked it. <script>document.title='pwned'; window.pwned=1</script> \
                    <img src=x onerror=\"window.pwned=2\"> [x](javascript:window.pwned=3)";
const LOKI: &str = "Grafana Loki: like Prometheus, but for logs";

async fn page_text(client: &Client) -> Result<String, String> {
    client
        .find(Locator::Css("main"))
        .await
        .map_err(|e| e.to_string())?
        .text()
        .await
        .map_err(|e| e.to_string())
}

/// Saves what the browser shows, under target/screenshots, and in docs/screenshots when
/// UPDATE_SCREENSHOTS is set (then look at them before committing).
async fn screenshot(client: &Client, name: &str) {
    let png = client.screenshot().await.expect("a screenshot");
    let mut dirs = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots")];
    if std::env::var_os("UPDATE_SCREENSHOTS").is_some() {
        dirs.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots"));
    }
    for dir in dirs {
        std::fs::create_dir_all(&dir).expect("screenshot directory");
        std::fs::write(dir.join(format!("{name}.png")), &png).expect("write the screenshot");
    }
}

#[tokio::test]
async fn a_reader_browses_the_live_pages_in_chromium() {
    let f = fixture("browser", true).await;
    apply_reports(&f).await;
    let user = format!("reader-{}", f.env.namespace);
    let reader = namespace_reader(&f.env, &user).await;
    let (_server, base) = serve(&reader, &f.env.namespace);
    let (_driver, client) = browser().await;

    // The index: grouped by conference, states in words, the payload title as text.
    client
        .goto(&format!("{base}/"))
        .await
        .expect("open the index");
    let index = page_text(&client).await.expect("the index's text");
    assert!(
        index.starts_with("Trip reports\n3 reports from 1 conference."),
        "{index}"
    );
    assert!(
        index.contains("KubeCon + CloudNativeCon Europe 2019"),
        "{index}"
    );
    assert!(
        index.contains("No (AwaitingApproval)"),
        "the Portuguese sample is not reviewed: {index}"
    );
    assert!(index.contains(TITLE), "{index}");
    screenshot(&client, "index").await;

    // By keyboard: the first Tab reaches the skip link, and Enter on it jumps to the content.
    press(&client, Key::Tab).await;
    let focused = client
        .active_element()
        .await
        .expect("a focused element")
        .text()
        .await
        .expect("its text");
    assert_eq!(focused, "Skip to content");
    press(&client, Key::Enter).await;
    let url = client.current_url().await.expect("url");
    assert_eq!(url.fragment(), Some("main"), "{url}");

    // The payload's page: what its author typed is shown, and nothing of it runs.
    follow(
        &client,
        Locator::LinkText(TITLE),
        &format!("/reports/{}/payload.html", f.env.namespace),
    )
    .await;
    let report = page_text(&client).await.expect("the report's text");
    assert!(
        report.contains("<script>document.title='pwned'; window.pwned=1</script>"),
        "{report}"
    );
    assert!(
        report.contains("<img src=x onerror=\"window.pwned=2\">"),
        "{report}"
    );
    let state = client
        .execute("return [document.scripts.length, typeof window.pwned, document.title, document.querySelectorAll('main img, a[href^=javascript]').length]", vec![])
        .await
        .expect("read the page's state");
    assert_eq!(
        state,
        json!([0, "undefined", format!("{TITLE} · Trip reports"), 0])
    );

    // Back to the index by the breadcrumb, then a sample's page in its own language.
    follow(&client, Locator::LinkText("Trip reports"), "/index.html").await;
    let pt = Locator::LinkText(
        "KubeCon Europa 2019 em Barcelona: um estande, muitas conversas e o CD no Kubernetes",
    );
    follow(&client, pt, "/kubecon-eu-2019-barcelona-pt.html").await;
    let pt = page_text(&client).await.expect("text");
    assert!(
        pt.contains("Em resumo") && pt.contains("Palestras recomendadas (4)"),
        "{pt}"
    );
    let lang = client
        .find(Locator::Css("article"))
        .await
        .expect("article")
        .attr("lang")
        .await
        .expect("lang");
    assert_eq!(lang.as_deref(), Some("pt"));
    screenshot(&client, "report").await;

    // The conference page: the same talk from two reports is one row with its count and mean.
    follow(
        &client,
        Locator::LinkText("KubeCon + CloudNativeCon Europe 2019"),
        "/conferences/kubecon-cloudnativecon-europe-2019.html",
    )
    .await;
    let row = loki_row(&client).await.expect("Loki's row");
    assert!(
        row.contains("2 (Plesk platform engineer, Ana Souza)") && row.contains("4.0 of 5"),
        "{row}"
    );
    screenshot(&client, "conference").await;

    // An edit in the cluster shows on a later load, with no restart.
    f.recs
        .patch(
            "payload-loki",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"rating": 1}})),
        )
        .await
        .expect("edit the rating");
    eventually(
        "the conference page to show the new mean",
        Duration::from_secs(30),
        || async {
            client.refresh().await.map_err(|e| e.to_string())?;
            let row = loki_row(&client).await?;
            if row.contains("3.0 of 5") {
                Ok(())
            } else {
                Err(row)
            }
        },
    )
    .await;

    // The filters, by keyboard-reachable form controls: Portuguese only.
    client
        .goto(&format!("{base}/index.html"))
        .await
        .expect("index");
    client
        .find(Locator::Id("f-language"))
        .await
        .expect("language filter")
        .select_by_value("pt")
        .await
        .expect("choose pt");
    client
        .find(Locator::Css("form.filters button"))
        .await
        .expect("button")
        .click()
        .await
        .expect("filter");
    // A click starts the navigation and returns: wait for the page it leads to.
    let filtered = eventually("the filtered index", Duration::from_secs(10), || async {
        let url = client.current_url().await.map_err(|e| e.to_string())?;
        if url.query().is_some_and(|q| q.contains("language=pt")) {
            page_text(&client).await
        } else {
            Err(url.to_string())
        }
    })
    .await;
    assert!(filtered.contains("1 of 3 reports match."), "{filtered}");
    assert!(
        filtered.contains("KubeCon Europa 2019 em Barcelona") && !filtered.contains(TITLE),
        "{filtered}"
    );
    client.close().await.expect("end the session");
}

/// Clicks what `locator` finds and waits until the page it leads to, ending in `path`, has
/// loaded: a click starts a navigation and may return before it ends.
async fn follow(client: &Client, locator: Locator<'_>, path: &str) {
    client
        .find(locator)
        .await
        .unwrap_or_else(|e| panic!("no link to {path}: {e}"))
        .click()
        .await
        .expect("click");
    eventually(
        &format!("the page at {path}"),
        Duration::from_secs(10),
        || async {
            let url = client.current_url().await.map_err(|e| e.to_string())?;
            let ready = client
                .execute("return document.readyState", vec![])
                .await
                .map_err(|e| e.to_string())?;
            if url.path().ends_with(path) && ready == "complete" {
                Ok(())
            } else {
                Err(format!("{url} {ready}"))
            }
        },
    )
    .await;
}

/// One key pressed and released, as a person at the keyboard.
async fn press(client: &Client, key: Key) {
    let keys = KeyActions::new("keyboard".to_string())
        .then(KeyAction::Down { value: key.into() })
        .then(KeyAction::Up { value: key.into() });
    client.perform_actions(keys).await.expect("press a key");
}

/// The text of the conference page's row for the Loki talk.
async fn loki_row(client: &Client) -> Result<String, String> {
    for row in client
        .find_all(Locator::Css("table.talks tbody tr"))
        .await
        .map_err(|e| e.to_string())?
    {
        let text = row.text().await.map_err(|e| e.to_string())?;
        if text.starts_with(LOKI) {
            return Ok(text);
        }
    }
    Err("no row for the Loki talk".to_string())
}
