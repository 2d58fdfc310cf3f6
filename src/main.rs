use clap::Parser;

// glibc's malloc spent a tenth of a run in consolidating and unlinking chunks (perf, issue 20), and grew an
// arena per thread; mimalloc's per-thread heaps do neither.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc.h (v3) of the libmimalloc-sys in Cargo.lock, which the binding does
/// not name (the test below checks the enum's length, which a change of the list would move).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() {
    // Memory freed goes back to the system within 25 ms, in small pages: with transparent huge pages, memory
    // freed and taken again cost a 2 MB page cleared each time (a third of reading the 1M benchmark's
    // log, perf). mimalloc decides on huge pages before main runs, so they are turned off for the process.
    // At once (0 ms) the freeing and faulting in again cost a tenth of the system time for no less peak
    // memory (10M benchmark: 2.93 -> 2.80 s, 190 MB both). With later phases' values made and freed
    // faster, 5 ms left a tenth of the 1M benchmark's CPU in page faults: at 25 ms, 1.16 -> 1.13 s (10M:
    // 2.05 -> 2.00 s) for a peak of 174-178 MB instead of 173-174; never, 1.10 s but 234 MB.
    // SAFETY: an option set and a prctl made before any thread of ours starts.
    unsafe {
        libmimalloc_sys::mi_option_set_default(MI_OPTION_PURGE_DELAY, 25);
        #[cfg(target_os = "linux")]
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
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

#[cfg(test)]
mod tests {
    #[test]
    fn the_allocator_option_is_the_one_named() {
        assert_eq!(libmimalloc_sys::_mi_option_last, 47, "mimalloc's option list changed: check the MI_OPTION_ constants");
    }
}
