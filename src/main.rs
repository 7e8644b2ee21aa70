fn main() -> std::process::ExitCode {
    univers_container::cli::main()
}
