//! One harness for the TUI tests: the [`App`] on plain channels at a fixed clock, driven by
//! keymap specs and drawn on a `TestBackend`, so a test reads like what a user does.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::KeyEvent;
use tokio::sync::mpsc::UnboundedReceiver;
use univers_container::protocol::{EngineInfo, Event, ServiceState, ServiceStatus, Snapshot};
use univers_container::tui::keys::KeySeq;
use univers_container::tui::state::Pane;
use univers_container::tui::{App, EngineLink, Keymap, Request, Theme, Update};

/// 2024-01-01T00:00:00Z: the clock every TUI test runs at.
pub const NOW: u64 = 1_704_067_200_000;

/// The workspace every TUI test shows: hvac in staging, its engine up for an hour, nothing
/// in it yet; each fixture fills in what its tests are about.
pub fn workspace() -> Snapshot {
    Snapshot {
        workspace: "hvac".into(),
        environment: Some("staging".into()),
        config_file: Some("univers.yaml".into()),
        engine: EngineInfo {
            pid: 100,
            started_at: NOW - 3_600_000,
            version: "0.1.0".into(),
            tmux_socket: "uc-hvac".into(),
            tmux_session: "hvac".into(),
        },
        services: vec![],
        metrics: None,
        alerts: vec![],
        silences: vec![],
        alerting: Default::default(),
        config: Default::default(),
        storage: Default::default(),
        deploys: Vec::new(),
        quota: Default::default(),
        seq: 7,
    }
}

pub fn service(name: &str, state: ServiceState) -> ServiceStatus {
    ServiceStatus {
        state,
        ..ServiceStatus::new(name)
    }
}

/// A service running for the last hour.
pub fn running(name: &str) -> ServiceStatus {
    ServiceStatus {
        pid: Some(4242),
        started_at: Some(NOW - 3_600_000),
        ..service(name, ServiceState::Running)
    }
}

pub struct Tui {
    pub app: App,
    pub requests: UnboundedReceiver<Request>,
    pub size: (u16, u16),
}

impl Tui {
    /// The builtin keymap and theme on a screen of `size`, the clock at `now`, no snapshot
    /// yet.
    pub fn new(size: (u16, u16), now: u64) -> Self {
        Self::with(Keymap::builtin(), Theme::default(), None, size, now)
    }

    /// `user` is who acknowledges and silences (`None`: the app's default).
    pub fn with(
        keymap: Keymap,
        theme: Theme,
        user: Option<&str>,
        size: (u16, u16),
        now: u64,
    ) -> Self {
        let (link, _updates, requests) = EngineLink::pair();
        let mut app = App::new(link.requests, keymap, theme);
        if let Some(user) = user {
            app = app.with_user(user);
        }
        app.on_resize(size.0, size.1);
        app.on_tick(now);
        Self {
            app,
            requests,
            size,
        }
    }

    pub fn update(&mut self, update: Update) -> &mut Self {
        self.app.on_update(update);
        self
    }

    pub fn event(&mut self, event: Event) -> &mut Self {
        self.update(Update::Event(event))
    }

    pub fn snapshot(&mut self, snapshot: Snapshot) -> &mut Self {
        self.event(Event::Snapshot(Box::new(snapshot)))
    }

    pub fn resize(&mut self, width: u16, height: u16) -> &mut Self {
        self.size = (width, height);
        self.app.on_resize(width, height);
        self
    }

    /// Press keys given as keymap specs, one item per binding (`"g g"` presses g twice).
    pub fn keys(&mut self, specs: &[&str]) -> &mut Self {
        for spec in specs {
            for press in KeySeq::parse(spec).expect("a key spec").presses() {
                self.app
                    .handle_key(KeyEvent::new(press.code, press.modifiers));
            }
        }
        self
    }

    /// Type text into whatever has the focus.
    pub fn type_text(&mut self, text: &str) -> &mut Self {
        for c in text.chars() {
            let spec = if c == ' ' {
                "space".to_string()
            } else {
                c.to_string()
            };
            self.keys(&[&spec]);
        }
        self
    }

    /// Run a `:` command line.
    pub fn command(&mut self, line: &str) -> &mut Self {
        self.keys(&[":"]).type_text(line).keys(&["enter"])
    }

    /// What the app asked for since the last call, without the playbook list the command
    /// line refreshes each time it opens.
    pub fn sent(&mut self) -> Vec<Request> {
        std::iter::from_fn(|| self.requests.try_recv().ok())
            .filter(|r| *r != Request::Playbooks)
            .collect()
    }

    pub fn status(&self) -> String {
        let status = self.app.state().status.as_ref();
        status.map(|s| s.text.clone()).unwrap_or_default()
    }

    pub fn pane(&self) -> Pane {
        self.app.state().pane
    }

    pub fn buffer(&self) -> Buffer {
        self.terminal().backend().buffer().clone()
    }

    pub fn screen(&self) -> String {
        self.terminal().backend().to_string()
    }

    pub fn header(&self) -> String {
        self.screen().lines().next().expect("a header").to_string()
    }

    fn terminal(&self) -> Terminal<TestBackend> {
        let (width, height) = self.size;
        let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
        terminal.draw(|frame| self.app.draw(frame)).expect("draw");
        terminal
    }
}

/// A test binary's own harness: a `Tui` it builds with its fixture, plus the helpers only
/// it needs, reaching every shared one through `Deref`.
#[allow(unused_macros)] // only the TUI test binaries declare one
macro_rules! harness {
    ($(#[$attr:meta])* $vis:vis struct $name:ident;) => {
        $(#[$attr])*
        $vis struct $name($crate::common::tui::Tui);

        impl std::ops::Deref for $name {
            type Target = $crate::common::tui::Tui;
            fn deref(&self) -> &Self::Target {
                &self.0
            }
        }

        impl std::ops::DerefMut for $name {
            fn deref_mut(&mut self) -> &mut Self::Target {
                &mut self.0
            }
        }
    };
}
#[allow(unused_imports)]
pub(crate) use harness;

/// Where the first cell of `text` is on the screen.
pub fn find(buffer: &Buffer, text: &str) -> (u16, u16) {
    find_nth(buffer, text, 0)
}

/// Where the `nth` row holding `text` has it.
pub fn find_nth(buffer: &Buffer, text: &str, nth: usize) -> (u16, u16) {
    hits(buffer, text)
        .nth(nth)
        .unwrap_or_else(|| panic!("`{text}` #{nth} is not on screen"))
}

/// Where `text` first appears below the header, whose counts may hold the same words.
pub fn find_below_header(buffer: &Buffer, text: &str) -> (u16, u16) {
    hits(buffer, text)
        .find(|&(_, y)| y > 0)
        .unwrap_or_else(|| panic!("`{text}` is not on screen below the header"))
}

/// Each row holding `text`, with the column where it starts.
fn hits<'a>(buffer: &'a Buffer, text: &'a str) -> impl Iterator<Item = (u16, u16)> + 'a {
    let width = buffer.area.width;
    (0..buffer.area.height).filter_map(move |y| {
        let line: String = (0..width).map(|x| buffer[(x, y)].symbol()).collect();
        let i = line.find(text)?;
        Some((line[..i].chars().count() as u16, y))
    })
}
