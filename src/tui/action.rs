//! Everything a key can do, by name. Keymap files bind keys to these names (`start`,
//! `show_window`, ...); the footer and the help pane show their labels and descriptions.
//!
//! One table says it all: each row is an action, the name keymap files use, the label the
//! footer shows (`help_only` when the footer leaves it to the help pane) and the sentence the
//! help pane shows, so adding an action is one line.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, Visitor};

/// What the keymap, the footer and the help pane say about one action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActionInfo {
    /// The name used in keymap files.
    pub name: &'static str,
    /// One or two words for the footer.
    pub label: &'static str,
    /// A sentence for the help pane.
    pub description: &'static str,
    /// Whether the footer advertises this action (movement keys and shortcuts that repeat
    /// another key are left to the help pane).
    pub in_footer: bool,
}

macro_rules! actions {
    (@footer) => { true };
    (@footer help_only) => { false };
    ($($variant:ident($name:literal, $label:literal $(, $hidden:ident)?) => $description:literal,)*) => {
        /// A named thing the user can do. Keys map to actions; actions change state or become
        /// requests.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Action {
            $(#[doc = $description] $variant,)*
        }

        impl Action {
            pub const ALL: &'static [Self] = &[$(Self::$variant,)*];
            const NAMES: &'static [&'static str] = &[$($name,)*];

            pub fn info(self) -> ActionInfo {
                match self {
                    $(Self::$variant => ActionInfo {
                        name: $name,
                        label: $label,
                        description: $description,
                        in_footer: actions!(@footer $($hidden)?),
                    },)*
                }
            }
        }
    };
}

actions! {
    Quit("quit", "quit") => "Quit the TUI (services keep running)",
    Up("up", "up", help_only) => "Move up",
    Down("down", "down", help_only) => "Move down",
    Top("top", "top", help_only) => "Go to the first row",
    Bottom("bottom", "bottom", help_only) => "Go to the last row",
    PageUp("page_up", "page up", help_only) => "Move one page up",
    PageDown("page_down", "page down", help_only) => "Move one page down",
    Start("start", "start") => "Start the selected service and what it depends on",
    Stop("stop", "stop") => "Stop the selected service and what depends on it",
    Restart("restart", "restart") => "Restart the selected service",
    StartAll("start_all", "start all") => "Start every service",
    StopAll("stop_all", "stop all") => "Stop every service (asks first)",
    Mark("mark", "mark", help_only) =>
        "Mark or unmark the selected service: start, stop and restart then act on every marked one",
    ClearMarks("clear_marks", "unmark", help_only) => "Clear the marks",
    Expand("expand", "services") => "List the selected workspace's services, to mark them",
    Collapse("collapse", "fold", help_only) => "Fold the workspace's services back into its row",
    ShowWindow("show_window", "window") => "Show the selected service's live tmux window",
    Details("details", "details") =>
        "Show the selected service's probes, restarts and heal events, or its graphs",
    Help("help", "help") => "Show or hide this help",
    CommandLine("command_line", "command") => "Open the command line (:start api, :quit, ...)",
    Filter("filter", "filter") => "Filter services by name or tag",
    Close("close", "close") => "Close the popup, or clear the filter, or the marks",
    Confirm("confirm", "confirm") => "Confirm",
    HostView("host_view", "host") => "Show the host view (CPU, memory, disks, network)",
    NextView("next_view", "next view", help_only) => "Next view (services, host, logs, alerts)",
    GraphWindow("graph_window", "time window") =>
        "Cycle the graphs' time window: 1m, 5m, 1h, 24h",
    Window1m("window_1m", "1m", help_only) => "Graphs over the last minute",
    Window5m("window_5m", "5m", help_only) => "Graphs over the last 5 minutes",
    Window1h("window_1h", "1h", help_only) => "Graphs over the last hour (from history)",
    Window24h("window_24h", "24h", help_only) => "Graphs over the last 24 hours (from history)",
    AlertsView("alerts_view", "alerts") => "Show the alerts (firing, pending, resolved)",
    SilencesView("silences_view", "silences") => "Show the silences",
    Ack("ack", "ack") => "Acknowledge the selected alert (ends its repeat notices)",
    NewSilence("new_silence", "silence") => "Silence alerts like the selected one, for a while",
    Expire("expire", "expire") => "Expire the selected silence now (asks first)",
    NextField("next_field", "next field") => "Next input",
    PreviousField("previous_field", "previous field", help_only) => "Previous input",
    LogsView("logs_view", "logs") => "Show the logs: every service's lines, merged, live",
    PatternsView("patterns_view", "patterns") =>
        "Show the log patterns (templates mined from the lines)",
    Follow("follow", "follow") => "Follow: pin to the newest line (scrolling up pauses)",
    ScrollLeft("scroll_left", "left", help_only) => "Scroll the lines left (without wrap)",
    ScrollRight("scroll_right", "right", help_only) => "Scroll the lines right (without wrap)",
    Wrap("wrap", "wrap") => "Wrap long lines, or cut them at the edge",
    Raw("raw", "raw") =>
        "Lines as written (their own time and level), or their fields in columns and message",
    PrettyJson("pretty_json", "json") => "Pretty-print the selected line's JSON, or fold it back",
    Search("search", "search") => "Search the lines: highlight matches (smart case)",
    NextMatch("next_match", "next match") => "Next matching line (newer)",
    PreviousMatch("previous_match", "previous match", help_only) =>
        "Previous matching line (older)",
    LevelFilter("level_filter", "level") => "Lowest level shown: all, debug, info, warn, error",
    ServiceFilter("service_filter", "service/all") =>
        "Only the selected service's lines, or every service's",
    Grep("grep", "grep") => "Only lines matching a regex (empty clears)",
    ClearFilters("clear_filters", "clear filters") =>
        "Clear the search and filters, or go back to the services",
    SortPatterns("sort_patterns", "sort") => "Sort by count, or the new ones first",
    PatternLines("pattern_lines", "lines") => "Show the selected pattern's lines",
    EnvironmentsView("environments_view", "environments") =>
        "Show the environments (switch, preview, history)",
    ConfigHistory("config_history", "history") =>
        "Show the applied config revisions, or the environments",
    UseEnvironment("use_environment", "switch") =>
        "Switch to the selected environment (asks first)",
    ShowDiff("show_diff", "diff") => "Show the whole diff of the selection",
    Revert("revert", "revert") => "Revert to the selected revision (asks first)",
    ApplyConfig("apply_config", "apply edit") => "Apply the config edited on disk (asks first)",
    PendingDiff("pending_diff", "edit diff") => "Show the diff of the config edited on disk",
    ConfigErrors("config_errors", "edit errors") => "Show why the edited config is not applied",
    DeploysView("deploys_view", "deploys") =>
        "Show the deploys: each service's stages, the running one live, its log tail",
    Deploy("deploy", "deploy") => "Deploy the selected service from its branch (asks first)",
    Rollback("rollback", "rollback") =>
        "Roll the selected service back to its previous release (asks first)",
    Approve("approve", "approve") =>
        "Approve the selected service's deploy waiting for an approval (asks first)",
    Reject("reject", "reject") =>
        "Reject the selected service's deploy waiting for an approval (asks first)",
    Overview("overview", "workspaces") =>
        "Show every workspace of the projects file; the open one keeps running",
    OpenWorkspace("open_workspace", "open") => "Open the selected workspace",
    AuditView("audit_view", "audit") =>
        "Show the audit log: who did what, newest first, and whether its chain holds",
    AssistantView("assistant_view", "assistant") =>
        "Show the assistant: what uc doctor finds, ranked, with the actions that would help",
    ApplySuggestion("apply_suggestion", "dry-run") =>
        "Show what the selected action would do, then ask before doing it",
    RefreshFindings("refresh_findings", "refresh") =>
        "Diagnose again now (the assistant also does every few seconds)",
}

impl Action {
    /// The action a keymap file names, if any.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|a| a.info().name == name)
    }
}

/// Keymap files name actions by [`ActionInfo::name`]; an unknown name is reported the way
/// serde reports an unknown variant, so the keymap can suggest the nearest name.
impl<'de> Deserialize<'de> for Action {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Name;
        impl Visitor<'_> for Name {
            type Value = Action;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an action name")
            }
            fn visit_str<E: de::Error>(self, name: &str) -> Result<Action, E> {
                Action::from_name(name).ok_or_else(|| E::unknown_variant(name, Action::NAMES))
            }
        }
        deserializer.deserialize_str(Name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_reads_back_as_its_action() {
        for &action in Action::ALL {
            let yaml: Action = serde_saphyr::from_str(action.info().name).unwrap();
            assert_eq!(yaml, action);
        }
        let err = serde_saphyr::from_str::<Action>("strat")
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown variant `strat`"), "{err}");
        assert!(err.contains(" start,"), "{err}");
    }
}
