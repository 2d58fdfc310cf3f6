use clap::Parser;

// glibc's malloc spent a tenth of a run in consolidating and unlinking chunks (perf, issue 20), and grew an
// arena per thread; mimalloc's per-thread heaps do neither.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc.h (v3) of the libmimalloc-sys in Cargo.lock; the binding names no
/// constant for it.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() {
    // Memory freed goes back to the system at once rather than 10 ms later: the 10M benchmark's peak was a
    // quarter higher with the delay, its time the same (MIMALLOC_PURGE_DELAY still overrides).
    // SAFETY: sets an option's default, before any thread of ours is started.
    unsafe { libmimalloc_sys::mi_option_set_default(MI_OPTION_PURGE_DELAY, 0) };
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
