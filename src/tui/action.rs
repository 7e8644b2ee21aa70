//! Everything a key can do, by name. Keymap files bind keys to these names (`start`,
//! `show_window`, ...); the footer and the help pane show their labels and descriptions.

use serde::{Deserialize, Serialize};

/// A named thing the user can do. Keys map to actions; actions change state or become requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Quit,
    Up,
    Down,
    Top,
    Bottom,
    PageUp,
    PageDown,
    Start,
    Stop,
    Restart,
    StartAll,
    StopAll,
    ShowWindow,
    /// Show the selected service's probes, restarts and heal events below the table, or
    /// its graphs again.
    Details,
    Help,
    CommandLine,
    Filter,
    /// Close the top popup, or clear the filter when no popup is open.
    Close,
    /// Accept the open confirm dialog.
    Confirm,
    /// Show the host view, or go back to the services.
    HostView,
    /// Cycle the panes: services, host, logs, alerts.
    NextView,
    /// Cycle the graphs' time window: 1m, 5m, 1h, 24h.
    GraphWindow,
    #[serde(rename = "window_1m")]
    Window1m,
    #[serde(rename = "window_5m")]
    Window5m,
    #[serde(rename = "window_1h")]
    Window1h,
    #[serde(rename = "window_24h")]
    Window24h,
    /// Show the alerts pane, or go back to the services.
    AlertsView,
    /// Show the silences list, or go back to the alerts.
    SilencesView,
    /// Acknowledge the selected alert.
    Ack,
    /// Open the popup that creates a silence (prefilled from the selected alert).
    NewSilence,
    /// End the selected silence now (asks first).
    Expire,
    /// Move to the next input of a form.
    NextField,
    PreviousField,
    /// Show the logs pane, or go back to the services.
    LogsView,
    /// Show the mined log patterns, or go back to the logs.
    PatternsView,
    /// Pin the logs to the newest line again.
    Follow,
    ScrollLeft,
    ScrollRight,
    /// Wrap long log lines, or cut them at the edge.
    Wrap,
    /// Pretty-print the selected line's JSON, or fold it back.
    PrettyJson,
    /// Search the logs (highlight, then `next_match` / `previous_match`).
    Search,
    NextMatch,
    PreviousMatch,
    /// Cycle the lowest level shown: all, debug, info, warn, error.
    LevelFilter,
    /// Show the selected service's lines, or every service's.
    ServiceFilter,
    /// Show only lines matching a regex.
    Grep,
    /// Clear the search and the log filters; with none set, go back to the services.
    ClearFilters,
    /// Sort patterns by count, or the new ones first.
    SortPatterns,
    /// Show the lines of the selected pattern.
    PatternLines,
    /// Show the environments pane, or go back to the services.
    EnvironmentsView,
    /// Show the config revisions, or go back to the environments.
    ConfigHistory,
    /// Switch to the selected environment (asks first).
    UseEnvironment,
    /// The full diff of the selected environment's switch, or of the selected revision.
    ShowDiff,
    /// Revert the config to the selected revision (asks first).
    Revert,
    /// Apply the edit of the config files waiting to be applied (asks first).
    ApplyConfig,
    /// Show the diff of the edit waiting to be applied.
    PendingDiff,
    /// List the problems of an edit of the config files that does not load.
    ConfigErrors,
}

impl Action {
    pub const ALL: [Self; 57] = [
        Self::Quit,
        Self::Up,
        Self::Down,
        Self::Top,
        Self::Bottom,
        Self::PageUp,
        Self::PageDown,
        Self::Start,
        Self::Stop,
        Self::Restart,
        Self::StartAll,
        Self::StopAll,
        Self::ShowWindow,
        Self::Details,
        Self::Help,
        Self::CommandLine,
        Self::Filter,
        Self::Close,
        Self::Confirm,
        Self::HostView,
        Self::NextView,
        Self::GraphWindow,
        Self::Window1m,
        Self::Window5m,
        Self::Window1h,
        Self::Window24h,
        Self::AlertsView,
        Self::SilencesView,
        Self::Ack,
        Self::NewSilence,
        Self::Expire,
        Self::NextField,
        Self::PreviousField,
        Self::LogsView,
        Self::PatternsView,
        Self::Follow,
        Self::ScrollLeft,
        Self::ScrollRight,
        Self::Wrap,
        Self::PrettyJson,
        Self::Search,
        Self::NextMatch,
        Self::PreviousMatch,
        Self::LevelFilter,
        Self::ServiceFilter,
        Self::Grep,
        Self::ClearFilters,
        Self::SortPatterns,
        Self::PatternLines,
        Self::EnvironmentsView,
        Self::ConfigHistory,
        Self::UseEnvironment,
        Self::ShowDiff,
        Self::Revert,
        Self::ApplyConfig,
        Self::PendingDiff,
        Self::ConfigErrors,
    ];

    /// The name used in keymap files.
    pub fn name(self) -> &'static str {
        match self {
            Self::Quit => "quit",
            Self::Up => "up",
            Self::Down => "down",
            Self::Top => "top",
            Self::Bottom => "bottom",
            Self::PageUp => "page_up",
            Self::PageDown => "page_down",
            Self::Start => "start",
            Self::Stop => "stop",
            Self::Restart => "restart",
            Self::StartAll => "start_all",
            Self::StopAll => "stop_all",
            Self::ShowWindow => "show_window",
            Self::Details => "details",
            Self::Help => "help",
            Self::CommandLine => "command_line",
            Self::Filter => "filter",
            Self::Close => "close",
            Self::Confirm => "confirm",
            Self::HostView => "host_view",
            Self::NextView => "next_view",
            Self::GraphWindow => "graph_window",
            Self::Window1m => "window_1m",
            Self::Window5m => "window_5m",
            Self::Window1h => "window_1h",
            Self::Window24h => "window_24h",
            Self::AlertsView => "alerts_view",
            Self::SilencesView => "silences_view",
            Self::Ack => "ack",
            Self::NewSilence => "new_silence",
            Self::Expire => "expire",
            Self::NextField => "next_field",
            Self::PreviousField => "previous_field",
            Self::LogsView => "logs_view",
            Self::PatternsView => "patterns_view",
            Self::Follow => "follow",
            Self::ScrollLeft => "scroll_left",
            Self::ScrollRight => "scroll_right",
            Self::Wrap => "wrap",
            Self::PrettyJson => "pretty_json",
            Self::Search => "search",
            Self::NextMatch => "next_match",
            Self::PreviousMatch => "previous_match",
            Self::LevelFilter => "level_filter",
            Self::ServiceFilter => "service_filter",
            Self::Grep => "grep",
            Self::ClearFilters => "clear_filters",
            Self::SortPatterns => "sort_patterns",
            Self::PatternLines => "pattern_lines",
            Self::EnvironmentsView => "environments_view",
            Self::ConfigHistory => "config_history",
            Self::UseEnvironment => "use_environment",
            Self::ShowDiff => "show_diff",
            Self::Revert => "revert",
            Self::ApplyConfig => "apply_config",
            Self::PendingDiff => "pending_diff",
            Self::ConfigErrors => "config_errors",
        }
    }

    /// One or two words for the footer.
    pub fn label(self) -> &'static str {
        match self {
            Self::Quit => "quit",
            Self::Up => "up",
            Self::Down => "down",
            Self::Top => "top",
            Self::Bottom => "bottom",
            Self::PageUp => "page up",
            Self::PageDown => "page down",
            Self::Start => "start",
            Self::Stop => "stop",
            Self::Restart => "restart",
            Self::StartAll => "start all",
            Self::StopAll => "stop all",
            Self::ShowWindow => "window",
            Self::Details => "details",
            Self::Help => "help",
            Self::CommandLine => "command",
            Self::Filter => "filter",
            Self::Close => "close",
            Self::Confirm => "confirm",
            Self::HostView => "host",
            Self::NextView => "next view",
            Self::GraphWindow => "time window",
            Self::Window1m => "1m",
            Self::Window5m => "5m",
            Self::Window1h => "1h",
            Self::Window24h => "24h",
            Self::AlertsView => "alerts",
            Self::SilencesView => "silences",
            Self::Ack => "ack",
            Self::NewSilence => "silence",
            Self::Expire => "expire",
            Self::NextField => "next field",
            Self::PreviousField => "previous field",
            Self::LogsView => "logs",
            Self::PatternsView => "patterns",
            Self::Follow => "follow",
            Self::ScrollLeft => "left",
            Self::ScrollRight => "right",
            Self::Wrap => "wrap",
            Self::PrettyJson => "json",
            Self::Search => "search",
            Self::NextMatch => "next match",
            Self::PreviousMatch => "previous match",
            Self::LevelFilter => "level",
            Self::ServiceFilter => "service/all",
            Self::Grep => "grep",
            Self::ClearFilters => "clear filters",
            Self::SortPatterns => "sort",
            Self::PatternLines => "lines",
            Self::EnvironmentsView => "environments",
            Self::ConfigHistory => "history",
            Self::UseEnvironment => "switch",
            Self::ShowDiff => "diff",
            Self::Revert => "revert",
            Self::ApplyConfig => "apply edit",
            Self::PendingDiff => "edit diff",
            Self::ConfigErrors => "edit errors",
        }
    }

    /// A sentence for the help pane.
    pub fn description(self) -> &'static str {
        match self {
            Self::Quit => "Quit the TUI (services keep running)",
            Self::Up => "Move up",
            Self::Down => "Move down",
            Self::Top => "Go to the first row",
            Self::Bottom => "Go to the last row",
            Self::PageUp => "Move one page up",
            Self::PageDown => "Move one page down",
            Self::Start => "Start the selected service and what it depends on",
            Self::Stop => "Stop the selected service and what depends on it",
            Self::Restart => "Restart the selected service",
            Self::StartAll => "Start every service",
            Self::StopAll => "Stop every service (asks first)",
            Self::ShowWindow => "Show the selected service's live tmux window",
            Self::Details => {
                "Show the selected service's probes, restarts and heal events, or its graphs"
            }
            Self::Help => "Show or hide this help",
            Self::CommandLine => "Open the command line (:start api, :quit, ...)",
            Self::Filter => "Filter services by name or tag",
            Self::Close => "Close the popup, or clear the filter",
            Self::Confirm => "Confirm",
            Self::HostView => "Show the host view (CPU, memory, disks, network)",
            Self::NextView => "Next view (services, host, logs, alerts)",
            Self::GraphWindow => "Cycle the graphs' time window: 1m, 5m, 1h, 24h",
            Self::Window1m => "Graphs over the last minute",
            Self::Window5m => "Graphs over the last 5 minutes",
            Self::Window1h => "Graphs over the last hour (from history)",
            Self::Window24h => "Graphs over the last 24 hours (from history)",
            Self::AlertsView => "Show the alerts (firing, pending, resolved)",
            Self::SilencesView => "Show the silences",
            Self::Ack => "Acknowledge the selected alert (ends its repeat notices)",
            Self::NewSilence => "Silence alerts like the selected one, for a while",
            Self::Expire => "Expire the selected silence now (asks first)",
            Self::NextField => "Next input",
            Self::PreviousField => "Previous input",
            Self::LogsView => "Show the logs: every service's lines, merged, live",
            Self::PatternsView => "Show the log patterns (templates mined from the lines)",
            Self::Follow => "Follow: pin to the newest line (scrolling up pauses)",
            Self::ScrollLeft => "Scroll the lines left (without wrap)",
            Self::ScrollRight => "Scroll the lines right (without wrap)",
            Self::Wrap => "Wrap long lines, or cut them at the edge",
            Self::PrettyJson => "Pretty-print the selected line's JSON, or fold it back",
            Self::Search => "Search the lines: highlight matches (smart case)",
            Self::NextMatch => "Next matching line (newer)",
            Self::PreviousMatch => "Previous matching line (older)",
            Self::LevelFilter => "Lowest level shown: all, debug, info, warn, error",
            Self::ServiceFilter => "Only the selected service's lines, or every service's",
            Self::Grep => "Only lines matching a regex (empty clears)",
            Self::ClearFilters => "Clear the search and filters, or go back to the services",
            Self::SortPatterns => "Sort by count, or the new ones first",
            Self::PatternLines => "Show the selected pattern's lines",
            Self::EnvironmentsView => "Show the environments (switch, preview, history)",
            Self::ConfigHistory => "Show the applied config revisions, or the environments",
            Self::UseEnvironment => "Switch to the selected environment (asks first)",
            Self::ShowDiff => "Show the whole diff of the selection",
            Self::Revert => "Revert to the selected revision (asks first)",
            Self::ApplyConfig => "Apply the config edited on disk (asks first)",
            Self::PendingDiff => "Show the diff of the config edited on disk",
            Self::ConfigErrors => "Show why the edited config is not applied",
        }
    }

    /// Whether the footer advertises this action (movement keys and shortcuts that repeat
    /// another key are left to the help pane).
    pub fn in_footer(self) -> bool {
        !matches!(
            self,
            Self::Up
                | Self::Down
                | Self::Top
                | Self::Bottom
                | Self::PageUp
                | Self::PageDown
                | Self::NextView
                | Self::Window1m
                | Self::Window5m
                | Self::Window1h
                | Self::Window24h
                | Self::PreviousField
                | Self::ScrollLeft
                | Self::ScrollRight
                | Self::PreviousMatch
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_serde() {
        for action in Action::ALL {
            let yaml: Action = serde_saphyr::from_str(action.name()).unwrap();
            assert_eq!(yaml, action);
            assert!(!action.label().is_empty() && !action.description().is_empty());
        }
    }
}
