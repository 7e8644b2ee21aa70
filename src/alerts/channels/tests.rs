use std::path::Path;
use std::time::Duration;

use super::*;
use crate::alerts::Labels;

fn env(name: &str) -> Option<String> {
    match name {
        "SLACK_URL" => Some("https://hooks.slack.com/services/T0/B0/xyz".to_owned()),
        "SMTP_USER" => Some("uc".to_owned()),
        "SMTP_PASSWORD" => Some("hunter2".to_owned()),
        "HOOK_SECRET" => Some("s3cret".to_owned()),
        _ => None,
    }
}

fn no_env(_: &str) -> Option<String> {
    None
}

fn parse(text: &str) -> ChannelsConfig {
    parse_channels(text, Path::new("channels.yaml"), &env).unwrap()
}

/// Every problem as `line:col: message (hint)`.
fn problems(text: &str) -> Vec<String> {
    let err = parse_channels(text, Path::new("channels.yaml"), &env).unwrap_err();
    err.problems()
        .iter()
        .map(|p| {
            let hint = p
                .hint
                .as_ref()
                .map(|h| format!(" ({h})"))
                .unwrap_or_default();
            format!("{}:{}: {}{hint}", p.line, p.column, p.message)
        })
        .collect()
}

const FULL: &str = r#"
channels:
  slack:   { type: slack, url: "${SLACK_URL}" }
  email:   { type: email, smtp: "smtp.example.com:587", tls: starttls, username: "${SMTP_USER}", password: "${SMTP_PASSWORD}", from: "uc@example.com", to: [oncall@example.com] }
  hook:    { type: webhook, url: "http://127.0.0.1:9000/alerts", secret: "${HOOK_SECRET}", headers: { X-Team: web } }
  am:      { type: alertmanager, url: "http://127.0.0.1:9093" }
route:
  channels: [slack]
  group_by: [alertname, service]
  group_wait: 0s
  group_interval: 10s
  repeat_interval: 4h
  send_resolved: true
  routes:
    - match: [severity=critical]
      channels: [email]
      continue: true
    - match: ['service=~"api|web"']
      group_wait: 30s
      routes:
        - match: [service=web]
          channels: [hook]
"#;

#[test]
fn parses_every_channel_type_with_expanded_variables() {
    let config = parse(FULL);
    let names: Vec<&str> = config.channels.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["slack", "email", "hook", "am"]);
    assert_eq!(
        config.channel("slack").unwrap().target,
        Ok(Target::Slack {
            url: Secret::new("https://hooks.slack.com/services/T0/B0/xyz")
        })
    );
    let Ok(Target::Email(email)) = &config.channel("email").unwrap().target else {
        panic!("email target");
    };
    assert_eq!((email.host.as_str(), email.port), ("smtp.example.com", 587));
    assert_eq!(email.tls, SmtpTls::StartTls);
    assert_eq!(
        email.credentials,
        Some(("uc".to_owned(), Secret::new("hunter2")))
    );
    assert_eq!(email.to, ["oncall@example.com"]);
    let Ok(Target::Webhook(hook)) = &config.channel("hook").unwrap().target else {
        panic!("webhook target");
    };
    assert_eq!(hook.secret, Some(Secret::new("s3cret")));
    assert_eq!(hook.headers, [("X-Team".to_owned(), "web".to_owned())]);
    assert_eq!(
        config.channel("am").unwrap().kind,
        ChannelKind::Alertmanager
    );
    // Secrets stay out of Debug output.
    assert!(!format!("{config:?}").contains("hunter2"));
}

#[test]
fn routes_inherit_and_number_their_nodes() {
    let route = parse(FULL).route;
    assert_eq!(route.id, "0");
    assert_eq!(route.channels, ["slack"]);
    assert_eq!(route.timing.repeat_interval, Duration::from_secs(4 * 3600));
    let critical = &route.routes[0];
    assert_eq!(
        (critical.id.as_str(), critical.continue_matching),
        ("0.0", true)
    );
    assert_eq!(critical.group_by, ["alertname", "service"]);
    let web = &route.routes[1].routes[0];
    assert_eq!(web.id, "0.1.0");
    assert_eq!(web.channels, ["hook"]);
    assert_eq!(web.timing.group_wait, Duration::from_secs(30), "inherited");
    assert_eq!(route.routes[1].channels, ["slack"], "inherited");
}

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn matched(route: &Route, pairs: &[(&str, &str)]) -> Vec<String> {
    route
        .matching(&labels(pairs))
        .iter()
        .map(|r| r.id.clone())
        .collect()
}

#[test]
fn matching_is_depth_first_with_continue() {
    let route = parse(FULL).route;
    assert_eq!(matched(&route, &[("severity", "warning")]), ["0"]);
    assert_eq!(matched(&route, &[("severity", "critical")]), ["0.0"]);
    assert_eq!(
        matched(&route, &[("severity", "critical"), ("service", "web")]),
        ["0.0", "0.1.0"]
    );
    assert_eq!(matched(&route, &[("service", "api")]), ["0.1"]);
}

#[test]
fn unset_variables_disable_the_channel_with_a_reason() {
    let config = parse_channels(FULL, Path::new("c.yaml"), &no_env).unwrap();
    let slack = config.channel("slack").unwrap();
    assert_eq!(slack.disabled(), Some("SLACK_URL is not set"));
    assert_eq!(
        config.channel("email").unwrap().disabled(),
        Some("SMTP_USER and SMTP_PASSWORD are not set")
    );
    assert_eq!(config.channel("am").unwrap().disabled(), None);
}

#[test]
fn without_a_route_every_channel_takes_every_alert() {
    let config = parse(
        "channels:\n  a: { type: slack, url: http://x }\n  b: { type: alertmanager, url: http://y }\n",
    );
    assert_eq!(config.route.channels, ["a", "b"]);
    assert_eq!(config.route.timing, Timing::default());
    assert_eq!(config.route.group_by, ["alertname"]);
}

#[test]
fn empty_file_is_the_default() {
    assert_eq!(parse(""), ChannelsConfig::default());
    assert_eq!(parse("# nothing yet\n"), ChannelsConfig::default());
}

#[test]
fn the_shipped_example_parses() {
    let config = parse(DEFAULT_CHANNELS);
    assert_eq!(config.channels.len(), 3);
    assert!(config.channels.iter().all(|c| c.disabled().is_none()));
    let config = parse_channels(DEFAULT_CHANNELS, Path::new("c.yaml"), &no_env).unwrap();
    assert_eq!(
        config.channel("slack").unwrap().disabled(),
        Some("SLACK_URL is not set")
    );
}

#[test]
fn unknown_keys_get_a_suggestion() {
    assert_eq!(
        problems("channels:\n  s: { type: slack, ulr: http://x }\n"),
        ["2:21: unknown field `ulr` (did you mean `url`?)"]
    );
    assert_eq!(
        problems("route:\n  group_wiat: 1s\n"),
        ["2:3: unknown field `group_wiat` (did you mean `group_wait`?)"]
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let text = r#"channels:
  s: { type: slak, url: http://x }
  m: { type: email, smtp: "mail:99999", from: nobody, to: [a@b.c], url: http://x }
  w: { type: webhook, url: "${BROKEN" }
route:
  channels: [slakc]
  group_interval: 0s
  repeat_interval: 4 hours please
  routes:
    - match: ['service=~"("', "nothing"]
      channels: [m, zzz]
      group_by: [service, bad-label]
"#;
    assert_eq!(
        problems(text),
        [
            "2:14: unknown channel type `slak` (did you mean `slack`?)",
            "3:27: invalid SMTP address `mail:99999` (write `host:port`, e.g. `smtp.example.com:587`)",
            "3:47: invalid email address `nobody` (write `name@example.com` or `Name <name@example.com>`)",
            "3:73: `url` does not apply to `type: email` (`type: email` takes `smtp`, `tls`, `username`, `password`, `from`, `to`)",
            "4:28: `${` without a closing `}` in `${BROKEN` (write `${NAME}`, or `$$` for a literal `$`)",
            "6:14: no channel named `slakc` (expected one of `s`, `m`, `w`)",
            "7:19: `0s` must be longer than 0 (e.g. `10s`)",
            "8:20: invalid duration `4 hours please` (e.g. `90s`, `1.5h`, `1h30m`, or a number of seconds)",
            "10:15: invalid regex `(`: unclosed group (write `name=value`, `name!=value`, `name=~regex` or `name!~regex`)",
            "10:31: `nothing` is not a matcher; write name=value (write `name=value`, `name!=value`, `name=~regex` or `name!~regex`)",
            "11:21: no channel named `zzz` (expected one of `s`, `m`, `w`)",
            "12:27: `bad-label` is not a label name (use letters, digits and `_`, or `...` for every label)",
        ]
    );
}

#[test]
fn errors_name_the_file_and_quote_the_line() {
    let err = parse_channels(
        "channels:\n  s: { type: slack }\n",
        Path::new("conf/channels.yaml"),
        &env,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "conf/channels.yaml:2:3: channel `s` needs `url`\n 2 |   s: { type: slack }\n   |   ^"
    );
}

#[test]
fn root_route_takes_no_matchers() {
    assert_eq!(
        problems("route:\n  match: [a=b]\n  continue: true\n"),
        [
            "2:11: the root route takes every alert (put `match` on a route under `routes`)",
            "3:13: `continue` has no meaning on the root route",
        ]
    );
}

#[test]
fn email_defaults_and_single_recipient() {
    let config =
        parse("channels:\n  m: { type: email, smtp: relay, tls: none, from: a@b.c, to: x@y.z }\n");
    let Ok(Target::Email(email)) = &config.channel("m").unwrap().target else {
        panic!("email");
    };
    assert_eq!((email.host.as_str(), email.port), ("relay", 25));
    assert_eq!(email.to, ["x@y.z"]);
    assert_eq!(email.credentials, None);
    assert_eq!(
        problems(
            "channels:\n  m: { type: email, smtp: r, tls: ssl, username: u, from: a@b.c, to: [] }\n"
        ),
        [
            "2:35: unknown `tls` mode `ssl` (expected one of `starttls`, `tls`, `none`)",
            "2:50: `username` and `password` go together",
            "2:70: `to` lists no address",
        ]
    );
}

#[test]
fn a_bad_value_from_a_variable_is_quoted_as_written() {
    let text = "channels:\n  m: { type: email, smtp: \"${SMTP_PASSWORD}:0\", from: \"${SMTP_PASSWORD}\", to: [a@b.c] }\n";
    let found = problems(text);
    assert_eq!(
        found,
        [
            "2:27: invalid SMTP address `${SMTP_PASSWORD}:0` (write `host:port`, e.g. `smtp.example.com:587`)",
            "2:55: invalid email address `${SMTP_PASSWORD}` (write `name@example.com` or `Name <name@example.com>`)",
        ]
    );
    assert!(found.iter().all(|p| !p.contains("hunter2")));
}
