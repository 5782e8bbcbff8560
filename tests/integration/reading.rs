//! `kubectl tripreport list` and `view` against the real API server, as the reader: what they
//! print, what they say when a summary is stale or missing, and kubectl's errors and exit codes,
//! including for a reader who may read one namespace only.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use k8s_openapi::api::rbac::v1::{PolicyRule, Role, RoleBinding, RoleRef, Subject};
use kube::Api;
use kube::api::{ObjectMeta, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

use crate::operator::{THREE_TITLES, fixture, three_talks, wait_summary};

pub const PLUGIN: &str = env!("CARGO_BIN_EXE_kubectl-tripreport");

/// Runs the plugin with `kubeconfig`, as `kubectl tripreport ARGS` would (kubectl passes the
/// arguments through unchanged).
pub fn plugin(kubeconfig: &Path, args: &[&str]) -> Output {
    Command::new(PLUGIN)
        .args(args)
        .env("KUBECONFIG", kubeconfig)
        .env_remove("NO_COLOR")
        .output()
        .expect("run kubectl-tripreport")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Grants `user` read access to reports, recommendations and ConfigMaps in `namespace` only,
/// and writes a kubeconfig for them.
pub async fn namespace_reader(env: &crate::support::TestEnv, user: &str) -> PathBuf {
    reader_with(env, user, true).await
}

/// As [`namespace_reader`], with or without the right to read ConfigMaps.
async fn reader_with(env: &crate::support::TestEnv, user: &str, config_maps: bool) -> PathBuf {
    let meta = ObjectMeta {
        name: Some(user.to_string()),
        ..Default::default()
    };
    let mut rules = vec![PolicyRule {
        api_groups: Some(vec!["tripreports.dev".into()]),
        resources: Some(vec![
            "conferencereports".into(),
            "talkrecommendations".into(),
        ]),
        verbs: vec!["get".into(), "list".into(), "watch".into()],
        ..Default::default()
    }];
    if config_maps {
        rules.push(PolicyRule {
            api_groups: Some(vec![String::new()]),
            resources: Some(vec!["configmaps".into()]),
            verbs: vec!["get".into(), "list".into(), "watch".into()],
            ..Default::default()
        });
    }
    Api::<Role>::namespaced(env.client.clone(), &env.namespace)
        .create(
            &PostParams::default(),
            &Role {
                metadata: meta.clone(),
                rules: Some(rules),
            },
        )
        .await
        .expect("create the reader's Role");
    let binding = RoleBinding {
        metadata: meta,
        role_ref: RoleRef {
            api_group: "rbac.authorization.k8s.io".into(),
            kind: "Role".into(),
            name: user.to_string(),
        },
        subjects: Some(vec![Subject {
            kind: "User".into(),
            name: user.to_string(),
            api_group: Some("rbac.authorization.k8s.io".into()),
            namespace: None,
        }]),
    };
    Api::<RoleBinding>::namespaced(env.client.clone(), &env.namespace)
        .create(&PostParams::default(), &binding)
        .await
        .expect("bind the reader's Role");
    let path =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{}-{user}.kubeconfig", env.namespace));
    env.cp
        .write_user_kubeconfig(user, &[], &path)
        .expect("a kubeconfig for the reader");
    path
}

/// The cells of a kubectl-style table, cut where the header's columns start.
fn cells(table: &str) -> Vec<Vec<String>> {
    let mut lines = table.lines();
    let header = lines.next().unwrap_or_default();
    let starts: Vec<usize> = header
        .char_indices()
        .filter(|&(i, c)| c != ' ' && (i == 0 || header.as_bytes()[i - 1] == b' '))
        .map(|(i, _)| i)
        .collect();
    std::iter::once(header)
        .chain(lines)
        .map(|line| {
            let chars: Vec<char> = line.chars().collect();
            starts
                .iter()
                .enumerate()
                .map(|(k, &start)| {
                    let end = starts
                        .get(k + 1)
                        .copied()
                        .unwrap_or(chars.len())
                        .min(chars.len());
                    chars[start.min(end)..end]
                        .iter()
                        .collect::<String>()
                        .trim()
                        .to_string()
                })
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn list_and_view_show_what_the_operator_published() {
    let f = fixture("plugin", true).await;
    three_talks(&f).await;
    wait_summary(&f, "kubecon-eu-2019", &THREE_TITLES).await;
    f.wait_condition(&f.reports, "kubecon-eu-2019", "Ready", "True", None)
        .await;
    let admin = f.env.cp.kubeconfig_path();
    let ns = f.env.namespace.as_str();

    let out = plugin(&admin, &["list", "-n", ns]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let table = cells(&text(&out.stdout));
    assert_eq!(
        table,
        [
            [
                "NAME",
                "TITLE",
                "CONFERENCE",
                "YEAR",
                "LANGUAGE",
                "TALKS",
                "READY",
                "REVIEWED",
                "SUMMARIZED"
            ]
            .map(String::from)
            .to_vec(),
            [
                "kubecon-eu-2019",
                "What we saw at KubeCon Barcelona",
                "KubeCon + CloudNativeCon Europe",
                "2019",
                "en",
                "3",
                "True",
                "True",
                "True"
            ]
            .map(String::from)
            .to_vec(),
        ],
        "{}",
        text(&out.stdout)
    );

    let out = plugin(&admin, &["list", "-n", ns, "-o", "json"]);
    let list: Value = serde_json::from_slice(&out.stdout).expect("-o json is JSON");
    assert_eq!(list["kind"], "List");
    assert_eq!(list["items"][0]["talks"], 3);
    assert_eq!(list["items"][0]["state"]["ready"]["status"], "True");

    // Not a terminal: plain text, wrapped at 80, user text as text.
    let out = plugin(&admin, &["view", "kubecon-eu-2019", "-n", ns]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let view = text(&out.stdout);
    for expected in [
        "# What we saw at KubeCon Barcelona",
        "## Recommended talks (3)",
        "Grafana Loki: like Prometheus, but for logs",
        "https://videos.example.com/loki",
        "the ones we would watch again <first>.",
    ] {
        assert!(view.contains(expected), "{expected:?} in:\n{view}");
    }
    assert!(
        !view.contains('\x1b'),
        "no colour outside a terminal:\n{view}"
    );
    assert!(view.lines().all(|l| l.chars().count() <= 80), "{view}");
    assert_eq!(text(&out.stderr), "", "nothing to warn about");

    // Suspended and edited: the summary no longer describes the spec, and says so.
    let reports: Api<kube::api::DynamicObject> = f.reports.clone();
    reports
        .patch(
            "kubecon-eu-2019",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"suspend": true, "title": "Edited"}})),
        )
        .await
        .expect("suspend and edit");
    let out = plugin(&admin, &["view", "kubecon-eu-2019", "-n", ns]);
    assert!(out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("may be out of date") && stderr.contains("Ready=True"),
        "{stderr}"
    );
    assert!(
        text(&out.stdout).contains("# What we saw at KubeCon Barcelona"),
        "the last summary is still shown"
    );

    // Suspended, so the operator does not restore a deleted summary: it is missing.
    f.config_maps
        .delete("kubecon-eu-2019-summary", &Default::default())
        .await
        .expect("delete the summary");
    let out = plugin(&admin, &["view", "kubecon-eu-2019", "-n", ns]);
    assert!(out.status.success());
    assert!(
        text(&out.stderr)
            .contains("No summary has been published for conferencereport \"kubecon-eu-2019\""),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(text(&out.stdout), "");

    let out = plugin(&admin, &["view", "nope", "-n", ns]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        format!(
            "Error from server (NotFound): conferencereports.tripreports.dev \"nope\" not found in namespace \"{ns}\"\n"
        )
    );
    let out = plugin(&admin, &["list", "--output", "wide"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "a usage error exits 1, as kubectl's"
    );
}

#[tokio::test]
async fn colours_only_on_a_terminal_and_never_with_no_color() {
    let f = fixture("plugin-tty", true).await;
    three_talks(&f).await;
    wait_summary(&f, "kubecon-eu-2019", &THREE_TITLES).await;
    let admin = f.env.cp.kubeconfig_path();
    // util-linux's script(1) runs the plugin on a pseudo-terminal, as a person's shell would.
    let on_a_tty = |no_color: Option<&str>| {
        let command = format!(
            "{PLUGIN} view kubecon-eu-2019 -n {} --width 100",
            f.env.namespace
        );
        let mut c = Command::new("script");
        c.args(["-qec", &command, "/dev/null"])
            .env("KUBECONFIG", &admin)
            .env_remove("NO_COLOR");
        if let Some(v) = no_color {
            c.env("NO_COLOR", v);
        }
        let out = c.output().expect("run script(1)");
        assert!(out.status.success(), "{}", text(&out.stdout));
        text(&out.stdout)
    };
    let coloured = on_a_tty(None);
    assert!(
        coloured.contains("\x1b["),
        "colours on a terminal:\n{coloured}"
    );
    assert!(coloured.contains("Grafana Loki"), "{coloured}");
    let plain = on_a_tty(Some("1"));
    assert!(!plain.contains("\x1b["), "NO_COLOR is honoured:\n{plain:?}");
    assert!(plain.contains("Grafana Loki"), "{plain}");
}

#[tokio::test]
async fn a_reader_of_one_namespace_reads_it_and_is_told_plainly_about_others() {
    let f = fixture("plugin-rbac", true).await;
    three_talks(&f).await;
    wait_summary(&f, "kubecon-eu-2019", &THREE_TITLES).await;
    let user = format!("reader-{}", f.env.namespace);
    let reader = namespace_reader(&f.env, &user).await;
    let ns = f.env.namespace.as_str();

    let out = plugin(&reader, &["list", "-n", ns]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("kubecon-eu-2019"));
    let out = plugin(&reader, &["view", "kubecon-eu-2019", "-n", ns]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("Grafana Loki"));

    let out = plugin(&reader, &["list", "-n", "default"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        format!(
            "Error from server (Forbidden): conferencereports.tripreports.dev is forbidden: User \"{user}\" cannot list resource \"conferencereports\" in API group \"tripreports.dev\" in the namespace \"default\"\n"
        )
    );
    let out = plugin(&reader, &["list", "-A"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("cannot list resource \"conferencereports\" in API group \"tripreports.dev\" at the cluster scope"), "{}", text(&out.stderr));
}

#[tokio::test]
async fn without_a_kubeconfig_or_a_server_the_error_says_what_to_do() {
    let home = Path::new(env!("CARGO_TARGET_TMPDIR")).join("plugin-empty-home");
    std::fs::create_dir_all(&home).expect("an empty home");
    let out = Command::new(PLUGIN)
        .args(["list"])
        .env_remove("KUBECONFIG")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .env("HOME", &home)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).starts_with(
            "error: no kubeconfig: set KUBECONFIG, pass --kubeconfig, or create ~/.kube/config"
        ),
        "{}",
        text(&out.stderr)
    );

    // A kubeconfig whose server does not answer.
    let cp = testenv::shared();
    let admin = std::fs::read_to_string(cp.kubeconfig_path()).expect("the admin kubeconfig");
    let unreachable = admin.replace(cp.server(), "https://127.0.0.1:9");
    let path = home.join("unreachable.kubeconfig");
    std::fs::write(&path, unreachable).expect("write");
    let out = Command::new(PLUGIN)
        .args([
            "--kubeconfig",
            path.to_str().unwrap_or_default(),
            "list",
            "-A",
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with("Unable to connect to the server: ")
            && stderr.contains("onnection refused"),
        "{stderr}"
    );
}

/// `render --html`: the pages as files, every link relative and leading to a file that exists,
/// so that the directory can be published as it is (Pages, TechDocs).
#[test]
fn render_html_writes_static_pages_whose_links_all_resolve() {
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("static-site");
    let _ = std::fs::remove_dir_all(&out);
    let run = Command::new(env!("CARGO_BIN_EXE_tripreport-operator"))
        .args(["render", "--html", "--out"])
        .arg(&out)
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/"))
        .output()
        .expect("run render --html");
    assert!(run.status.success(), "{}", text(&run.stderr));
    let mut pages = Vec::new();
    let mut stack = vec![out.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)
            .expect("read the output")
            .map_while(Result::ok)
        {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "html") {
                pages.push(path);
            }
        }
    }
    pages.sort();
    let names: Vec<String> = pages
        .iter()
        .map(|p| {
            p.strip_prefix(&out)
                .expect("under out")
                .display()
                .to_string()
        })
        .collect();
    assert_eq!(
        names,
        [
            "conferences/kubecon-cloudnativecon-europe-2018.html",
            "conferences/kubecon-cloudnativecon-europe-2019.html",
            "index.html",
            "reports/tripreports-samples/kubecon-eu-2018-copenhagen.html",
            "reports/tripreports-samples/kubecon-eu-2019-barcelona-pt.html",
            "reports/tripreports-samples/kubecon-eu-2019-barcelona.html",
        ]
    );
    let mut links = 0;
    for page in &pages {
        let html = std::fs::read_to_string(page).expect("read a page");
        assert!(
            html.contains(r#"<meta http-equiv="Content-Security-Policy""#),
            "{}",
            page.display()
        );
        assert!(
            !html.contains("<script") && !html.contains("<form"),
            "{}",
            page.display()
        );
        for piece in html.split(" href=\"").skip(1) {
            let target = piece.split('"').next().unwrap_or_default();
            if target.starts_with("http://")
                || target.starts_with("https://")
                || target.starts_with('#')
            {
                continue;
            }
            assert!(
                !target.starts_with('/'),
                "{target} in {} is not relative",
                page.display()
            );
            let resolved = page.parent().expect("a directory").join(target);
            assert!(
                resolved.is_file(),
                "{target} in {} leads nowhere",
                page.display()
            );
            links += 1;
        }
    }
    assert!(links > 20, "{links} local links checked");
}

/// GET `path` from `base` (http://host:port): status line, headers and body as one string.
async fn http_get(base: &str, path: &str) -> String {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let host = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(host)
        .await
        .expect("connect to serve");
    let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).await.expect("read");
    response
}

#[tokio::test]
async fn serve_narrows_to_what_the_reader_may_see_and_says_so() {
    let f = fixture("serve-scope", true).await;
    three_talks(&f).await;
    wait_summary(&f, "kubecon-eu-2019", &THREE_TITLES).await;
    let user = format!("reports-only-{}", f.env.namespace);
    let path = reader_with(&f.env, &user, false).await;
    // The reader's context names their namespace, as a team's kubeconfig usually does.
    let mut kubeconfig: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("JSON");
    kubeconfig["contexts"][0]["context"]["namespace"] = json!(f.env.namespace);
    std::fs::write(&path, kubeconfig.to_string()).expect("write");

    let (_serve, base, said) =
        crate::browser::serve_with(&path, &["serve", "--addr", "127.0.0.1:0"]);
    assert!(
        said.iter().any(|l| l == &format!("You may not list reports in all namespaces; serving namespace {} only (pick another with -n).", f.env.namespace)),
        "{said:?}"
    );
    assert!(
        said.iter()
            .any(|l| l.starts_with("Warning: you may not read the summary ConfigMaps here")),
        "{said:?}"
    );

    let index = http_get(&base, "/").await;
    assert!(index.starts_with("HTTP/1.1 200 OK"), "{index}");
    for header in [
        "content-security-policy: default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        "x-content-type-options: nosniff",
        "cache-control: no-store",
    ] {
        assert!(
            index.to_ascii_lowercase().contains(header),
            "{header} in {index}"
        );
    }
    assert!(
        index.contains("What we saw at KubeCon Barcelona"),
        "the states are shown: {index}"
    );
    assert!(
        index.contains(r#"role="alert""#)
            && index.contains("you may not read the summary ConfigMaps here"),
        "{index}"
    );
    let report = http_get(
        &base,
        &format!("/reports/{}/kubecon-eu-2019.html", f.env.namespace),
    )
    .await;
    assert!(
        report.contains("No summary has been published for this report yet."),
        "{report}"
    );
    let missing = http_get(&base, "/reports/other/nothing.html").await;
    assert!(missing.starts_with("HTTP/1.1 404"), "{missing}");
}

/// A cluster where the CRDs were never installed: a control plane of the test's own, since the
/// shared one has them.
#[tokio::test]
async fn without_the_crds_the_error_says_to_install_them() {
    let cp = testenv::start_kept(testenv::StartOptions {
        dir: testenv::test_dir(),
        lifetime: testenv::Lifetime::Attached,
        remove_dir_on_stop: true,
        extra_apiserver_args: vec![],
        extra_etcd_args: vec![],
    })
    .unwrap_or_else(|e| panic!("the test's control plane did not start:\n{e}"));
    let expected = "error: the server doesn't have a resource type \"conferencereports\": the tripreports.dev CRDs are not installed (kubectl apply -f crds/)\n";
    for args in [
        &["list", "-A"][..],
        &["view", "some-report", "-n", "default"],
        &["list", "-n", "default"],
    ] {
        let out = plugin(&cp.kubeconfig_path(), args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert_eq!(text(&out.stderr), expected, "{args:?}");
    }
    cp.stop();
}
