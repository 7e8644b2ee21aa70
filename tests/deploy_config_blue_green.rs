//! `strategy: blue-green` in univers.yaml: the service split in two colours (itself and
//! `<name>-green`), each on its port as `$PORT` in its own release link with its checks on
//! that port; the proxy's mistakes at file:line:col.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use univers_container::config::{HttpProbe, Probe, Strategy, load_file, load_str};
use univers_container::deploy::model::Colour;

const SHOP: &str = "\
workspace: shop
services:
  api:
    command: exec python3 app.py
    cwd: web
    readiness: { http: http://127.0.0.1:8080/up }
    deploy:
      repo: ../api.git
      strategy: blue-green
      proxy: { listen: 8080, ports: [8081, 8082] }
      drain: 5s
";

#[test]
fn a_blue_green_service_runs_as_two_colours_each_on_its_port() {
    let ws = load_str(SHOP, Path::new("/ws/univers.yaml"), Path::new("/ws")).expect("valid");
    let names: Vec<&str> = ws.services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["api", "api-green"]);
    for (name, colour, port) in [
        ("api", Colour::Blue, 8081),
        ("api-green", Colour::Green, 8082),
    ] {
        let service = ws.service(name).expect("colour");
        let deploy = service.deploy.as_ref().expect("deploy");
        assert_eq!(deploy.strategy, Strategy::BlueGreen);
        let bg = deploy.blue_green.as_ref().expect("blue-green");
        assert_eq!(bg.colour, colour);
        assert_eq!(
            bg.listen,
            "127.0.0.1:8080".parse::<SocketAddr>().expect("addr")
        );
        assert_eq!((bg.ports, bg.drain), ([8081, 8082], Duration::from_secs(5)));
        assert_eq!(service.env.get("PORT"), Some(&port.to_string()));
        assert_eq!(service.ports, [port]);
        assert_eq!(service.cwd, deploy.dir.join(colour.as_str()).join("web"));
        let up = Probe::Http(HttpProbe {
            url: format!("http://127.0.0.1:{port}/up"),
            status: (200, 399),
            body: None,
        });
        assert_eq!(
            deploy.gate.probe, up,
            "the gate checks the colour, not the proxy"
        );
        assert_eq!(service.readiness.as_ref().map(|r| &r.probe), Some(&up));
    }
}

#[test]
fn every_proxy_mistake_is_placed() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/config/invalid/bad_blue_green.yaml");
    let err = load_file(&path).expect_err("invalid");
    let got: Vec<(u64, u64, String)> = (err.problems().iter())
        .map(|p| (p.line, p.column, p.message.clone()))
        .collect();
    let want = [
        (
            8,
            37,
            "`listen` and the two `ports` must be three different ports",
        ),
        (9, 14, "invalid duration `never`"),
        (15, 37, "`ports` must name two ports: blue's and green's"),
        (20, 17, "`strategy: blue-green` needs a `proxy`"),
        (25, 14, "`proxy`: only `strategy: blue-green` has a proxy"),
        (26, 14, "`drain`: only `strategy: blue-green` has a proxy"),
        (32, 14, "port 8081 is already used by the proxy of `api`"),
        (33, 3, "`shop-green` is the green colour of `shop`"),
    ];
    let want: Vec<(u64, u64, String)> = (want.iter())
        .map(|(l, c, m)| (*l, *c, (*m).to_owned()))
        .collect();
    assert_eq!(got, want, "{err}");
}
