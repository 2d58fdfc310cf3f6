use clap::Parser;

// glibc's malloc spent a tenth of a run in consolidating and unlinking chunks (perf, issue 20), and grew an
// arena per thread; mimalloc's per-thread heaps do neither.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
