use clap::Parser;

fn main() {
    let cli = breachscope::cli::Cli::parse();
    breachscope::output::files::install_interrupt_handler();
    let code = match breachscope::commands::run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("breachscope: error: {err}");
            err.exit_code()
        }
    };
    std::process::exit(code);
}
