use super::*;

fn anonymizer() -> Anonymizer {
    let names = Names {
        workspace: "acme-shop".into(),
        services: ["api", "api-gateway", "worker", "db"]
            .map(String::from)
            .to_vec(),
        environments: ["staging", "prod"].map(String::from).to_vec(),
        hosts: vec!["build-box-7".into(), "localhost".into()],
        users: vec!["alice".into(), "root".into()],
    };
    let secrets = Secrets::of(&[
        ("${OPENAI_API_KEY}", "sk-live-0123456789abcdef"),
        ("${secret:db_password}", "hunter2-Xy"),
    ]);
    Anonymizer::new(&names, secrets)
}

fn never_in(text: &str, words: &[&str]) {
    for w in words {
        assert!(!text.contains(w), "{w:?} left in {text:?}");
    }
}

#[test]
fn names_are_replaced_as_whole_words_in_any_case_and_restored() {
    let mut a = anonymizer();
    let out = a.anonymize("API keeps crashing; api-gateway is fine, worker waits on db in prod");
    assert_eq!(
        out,
        "<service-1> keeps crashing; <service-2> is fine, <service-3> waits on <service-4> in <environment-2>"
    );
    // Not inside other words.
    assert_eq!(a.anonymize("rapid dbx workers"), "rapid dbx workers");
    // The same name, the same placeholder, across calls.
    assert_eq!(
        a.anonymize("restart api api"),
        "restart <service-1> <service-1>"
    );
    assert_eq!(a.name("worker"), Some("<service-3>"));
    assert_eq!(
        a.restore("uc restart <service-1> then check <service-4>"),
        "uc restart api then check db"
    );
    assert_eq!(
        a.anonymize("workspace acme-shop"),
        "workspace <workspace-1>"
    );
    assert_eq!(a.restore("<workspace-1>"), "acme-shop");
}

#[test]
fn config_secrets_and_token_shapes_become_secrets_never_restored() {
    let mut a = anonymizer();
    let text = "key sk-live-0123456789abcdef pw hunter2-Xy again sk-live-0123456789abcdef \
                Authorization: Bearer abc.def-ghi_jkl token=s3cr3tvalue \
                ghp_abcdefghijklmnopqrstuvwx1234 jwt eyJhbGciOiJIUzI1.eyJzdWIiOiIxMjM0.sig-abc \
                sha 0123456789abcdef0123456789abcdef01 b64 QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0MTIz";
    let out = a.anonymize(text);
    never_in(
        &out,
        &[
            "sk-live",
            "hunter2",
            "abc.def",
            "s3cr3t",
            "ghp_",
            "eyJ",
            "0123456789abcdef",
            "QUJDREVG",
        ],
    );
    assert!(
        out.starts_with("key <secret-1> pw <secret-2> again <secret-1> "),
        "{out}"
    );
    assert!(out.contains("Authorization: Bearer <secret-"), "{out}");
    assert!(out.contains("token=<secret-"), "{out}");
    // A secret's placeholder stays a placeholder in what is shown.
    assert_eq!(a.restore("use <secret-1> here"), "use <secret-1> here");
    // Config secrets are kept by reference, tokens by a fingerprint: never the value.
    assert!(
        a.given
            .iter()
            .all(|g| !g.real.contains("sk-live") && !g.real.contains("s3cr3t"))
    );
}

#[test]
fn long_words_and_paths_are_not_taken_for_keys() {
    let mut a = anonymizer();
    let word = "internationalizationandlocalizationframework";
    assert_eq!(a.anonymize(word), word);
    let out = a.anonymize("reads /home/alice/projects/shop-2024/releases/v12/config.yaml now");
    assert_eq!(out, "reads <path-1> now");
}

#[test]
fn ips_v4_and_v6_but_not_times_versions_or_rust_paths() {
    let mut a = anonymizer();
    let out = a.anonymize("from 10.0.0.12 and [fe80::1ff:fe23:4567:890a] and ::1 at 12:30:45");
    // v6 is looked for first.
    assert_eq!(out, "from <ip-3> and [<ip-1>] and <ip-2> at 12:30:45");
    assert_eq!(a.anonymize("crate::assist::llm"), "crate::assist::llm");
    assert_eq!(a.anonymize("999.1.1.1"), "999.1.1.1");
    assert_eq!(a.restore("ping <ip-3>"), "ping 10.0.0.12");
}

#[test]
fn paths_absolute_and_home() {
    let mut a = anonymizer();
    let out = a.anonymize("log at /var/log/uc/api.log, cwd=~/src/shop and \"/tmp/x\"; not a/b");
    assert_eq!(
        out,
        "log at <path-1>, cwd=<path-2> and \"<path-3>\"; not a/b"
    );
    assert_eq!(a.restore("open <path-1>"), "open /var/log/uc/api.log");
    // `rm -rf /` keeps its `/`: the root names nobody.
    assert_eq!(a.anonymize("rm -rf /"), "rm -rf /");
}

#[test]
fn urls_emails_and_hosts() {
    let mut a = anonymizer();
    let out = a.anonymize(
        "POST https://ops:pa55word@hooks.acme.com/x failed; db at postgres://db:5432; \
         mail bob@acme.com; http://127.0.0.1:8080/v1 and http://localhost:3000 on build-box-7 \
         via mirror.internal",
    );
    never_in(
        &out,
        &[
            "pa55word",
            "ops:",
            "acme.com",
            "bob",
            "127.0.0.1",
            "build-box-7",
            "mirror",
        ],
    );
    // <host-1> is this machine's name, given first.
    assert!(
        out.contains("https://<secret-1>:<secret-2>@<host-2>/x"),
        "{out}"
    );
    assert!(out.contains("postgres://<service-4>:5432"), "{out}");
    assert!(out.contains("mail <email-1>"), "{out}");
    assert!(out.contains("http://<ip-1>:8080/v1"), "{out}");
    assert!(out.contains("http://localhost:3000"), "{out}");
    assert!(out.contains("on <host-1> via <host-3>"), "{out}");
    assert_eq!(a.restore("<host-2>"), "hooks.acme.com");
    assert_eq!(a.restore("<email-1>"), "bob@acme.com");
}

#[test]
fn unknown_placeholders_and_chinese_text() {
    let mut a = anonymizer();
    assert_eq!(a.anonymize("重启api服务"), "重启<service-1>服务");
    assert_eq!(
        a.restore("<service-9> and <service-2>"),
        "<service-9> and api-gateway"
    );
    // The names were given their placeholders up front; nothing else was found.
    assert_eq!(
        a.counts(),
        vec![
            ("service", 4),
            ("environment", 2),
            ("workspace", 1),
            ("host", 1),
            ("user", 1)
        ]
    );
}

mod roundtrip {
    use super::*;
    use proptest::prelude::*;

    /// Private pieces, each a whole word of the text, and harmless filler.
    const PRIVATE: &[&str] = &[
        "api",
        "api-gateway",
        "worker",
        "db",
        "staging",
        "prod",
        "acme-shop",
        "build-box-7",
        "10.0.0.12",
        "192.168.1.200",
        "fe80::1ff:fe23:4567:890a",
        "::1",
        "/var/log/uc/api.log",
        "~/src/shop",
        "/home/alice",
        "bob@acme.com",
        "hooks.acme.com",
        "https://mirror.internal/x",
    ];
    const FILLER: &[&str] = &[
        "restart",
        "the",
        "is",
        "slow",
        "since",
        "12:30:45",
        "v1.2.3",
        "rm -rf /",
        "重启",
        "—",
        "(",
        ")",
        "crate::assist",
        "exit 137",
        "a/b",
    ];

    fn piece() -> impl Strategy<Value = (bool, &'static str)> {
        prop_oneof![
            prop::sample::select(PRIVATE).prop_map(|p| (true, p)),
            prop::sample::select(FILLER).prop_map(|f| (false, f)),
        ]
    }

    proptest! {
        /// Whatever the mix: nothing private is sent, and restoring gives the text back.
        #[test]
        fn anonymize_then_restore_is_the_identity(pieces in prop::collection::vec(piece(), 1..12)) {
            let text = pieces.iter().map(|(_, p)| *p).collect::<Vec<_>>().join(" ");
            let mut a = anonymizer();
            let sent = a.anonymize(&text);
            prop_assert_eq!(a.restore(&sent), text.clone(), "sent: {}", sent);
            for (private, p) in &pieces {
                prop_assert!(!(*private && sent.contains(p)), "{} sent in {}", p, sent);
            }
        }
    }
}

#[test]
fn bracketed_and_mapped_addresses_and_ssh_targets() {
    let mut a = anonymizer();
    let out = a.anonymize(
        "GET http://[2001:db8::7]:8080/health, from ::ffff:10.9.8.7, ssh deploy@10.1.1.1, \
         DATABASE_URL=postgres://app:Sup3rS3cret@pg.corp:5432/shop",
    );
    never_in(
        &out,
        &[
            "2001:db8",
            "10.9.8.7",
            "deploy@",
            "10.1.1.1",
            "Sup3rS3cret",
            "pg.corp",
            "app:",
        ],
    );
    assert!(out.contains("http://[<ip-1>]:8080/health"), "{out}");
    assert!(a.restore(&out).contains("http://[2001:db8::7]:8080/health"));
}

#[test]
fn the_login_name_but_not_root() {
    let mut a = anonymizer();
    let out = a.anonymize("port 8080 held by pid 4242 (alice: python -m http.server), not root");
    assert_eq!(
        out,
        "port 8080 held by pid 4242 (<user-1>: python -m http.server), not root"
    );
    assert_eq!(a.restore("ask <user-1>"), "ask alice");
}
