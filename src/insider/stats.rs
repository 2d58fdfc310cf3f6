//! Statistics for finding the insider: the hypergeometric upper tail (how likely an account touches this
//! many reported victims by chance) and robust z-scores (how far an account is from its peers).

use statrs::function::factorial::ln_binomial;

/// ln P(X ≥ k) for X ~ Hypergeometric(population, successes, draws): drawing `draws` customers at random
/// from `population`, of whom `successes` are victims, at least `k` victims are drawn.
///
/// Summed in log space (log-sum-exp of the terms), so p-values far below f64's smallest number keep their
/// order. Terms come from statrs' `ln_binomial`.
pub fn hypergeometric_upper_tail_ln(population: u64, successes: u64, draws: u64, k: u64) -> f64 {
    assert!(successes <= population && draws <= population, "hypergeometric parameters out of range");
    let low = (draws + successes).saturating_sub(population);
    let high = draws.min(successes);
    if k <= low {
        return 0.0;
    }
    if k > high {
        return f64::NEG_INFINITY;
    }
    let ln_total = ln_binomial(population, draws);
    let terms: Vec<f64> =
        (k..=high).map(|i| ln_binomial(successes, i) + ln_binomial(population - successes, draws - i) - ln_total).collect();
    let max = terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let sum: f64 = terms.iter().map(|t| (t - max).exp()).sum();
    (max + sum.ln()).min(0.0)
}

/// A p-value given as its natural log, written for people and CSV: `0.0123`, or `8.825e-58` when small
/// (also below f64's range: the exponent comes from the log).
pub fn format_p(ln_p: f64) -> String {
    if ln_p == f64::NEG_INFINITY {
        return "0".into();
    }
    let p = ln_p.exp();
    if p >= 0.001 {
        return format!("{p:.4}");
    }
    let log10 = ln_p / std::f64::consts::LN_10;
    let mut exponent = log10.floor();
    let mut mantissa = 10f64.powf(log10 - exponent);
    if mantissa >= 9.9995 {
        mantissa /= 10.0;
        exponent += 1.0;
    }
    format!("{mantissa:.3}e{exponent}")
}

pub fn median(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

/// Where a value stands among its peers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Baseline {
    pub median: f64,
    /// Median absolute deviation.
    pub mad: f64,
    /// Mean absolute deviation from the median (used when the MAD is 0).
    pub mean_ad: f64,
}

impl Baseline {
    pub fn of(values: &[f64]) -> Baseline {
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let median = median(&sorted);
        let mut deviations: Vec<f64> = sorted.iter().map(|v| (v - median).abs()).collect();
        deviations.sort_by(f64::total_cmp);
        let mad = self::median(&deviations);
        let mean_ad = if deviations.is_empty() { f64::NAN } else { deviations.iter().sum::<f64>() / deviations.len() as f64 };
        Baseline { median, mad, mean_ad }
    }

    /// The robust z-score (Iglewicz and Hoaglin): 0.6745·(x − median)/MAD; when the MAD is 0,
    /// (x − median)/(1.2533·mean absolute deviation); when both are 0, 0 for the median and ±∞ otherwise.
    pub fn z(&self, x: f64) -> f64 {
        let d = x - self.median;
        if self.mad > 0.0 {
            0.6745 * d / self.mad
        } else if self.mean_ad > 0.0 {
            d / (1.253314 * self.mean_ad)
        } else if d == 0.0 {
            0.0
        } else {
            d.signum() * f64::INFINITY
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use statrs::distribution::{DiscreteCDF, Hypergeometric};

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs().max(1e-300)
    }

    #[test]
    fn upper_tail_matches_exact_values() {
        // Exact values computed with rational arithmetic (Python fractions).
        let cases = [
            ((10, 5, 3, 1), -0.08701137698962969),
            ((8, 4, 4, 4), -4.248495242049359), // 1/70: the lady tasting tea
            ((3000, 50, 240, 50), -131.37229656107405),
            ((3000, 50, 240, 10), -5.254255463122348),
            ((3000, 50, 2000, 33), -0.5020648611047989),
            ((100000, 50, 240, 50), -307.09853728364976),
        ];
        for ((n_pop, k_succ, n_draw, k), expected) in cases {
            let got = hypergeometric_upper_tail_ln(n_pop, k_succ, n_draw, k);
            assert!(close(got, expected, 1e-9), "{n_pop},{k_succ},{n_draw},{k}: {got} vs {expected}");
        }
        assert!(close(hypergeometric_upper_tail_ln(8, 4, 4, 4).exp(), 1.0 / 70.0, 1e-12));
    }

    #[test]
    fn upper_tail_agrees_with_statrs_survival_function() {
        for (pop, succ, draws) in [(60u64, 12u64, 20u64), (500, 50, 240), (3000, 50, 400)] {
            let dist = Hypergeometric::new(pop, succ, draws).unwrap();
            for k in 1..=succ.min(draws) {
                let ours = hypergeometric_upper_tail_ln(pop, succ, draws, k).exp();
                let theirs = dist.sf(k - 1);
                assert!(close(ours, theirs, 1e-9) || (ours < 1e-300 && theirs < 1e-300), "{pop},{succ},{draws},{k}: {ours} vs {theirs}");
            }
        }
    }

    #[test]
    fn upper_tail_edges() {
        assert_eq!(hypergeometric_upper_tail_ln(100, 10, 20, 0), 0.0);
        assert_eq!(hypergeometric_upper_tail_ln(100, 10, 20, 11), f64::NEG_INFINITY);
        // Drawing everyone: every victim is drawn for sure.
        assert_eq!(hypergeometric_upper_tail_ln(100, 10, 100, 10), 0.0);
        // Far below f64's range: still ordered.
        let a = hypergeometric_upper_tail_ln(1_000_000, 500, 600, 500);
        let b = hypergeometric_upper_tail_ln(1_000_000, 500, 600, 499);
        assert!(a < b && a < -2000.0, "{a} {b}");
    }

    #[test]
    fn p_values_are_written_readably() {
        assert_eq!(format_p(0.0), "1.0000");
        assert_eq!(format_p((0.0123f64).ln()), "0.0123");
        assert_eq!(format_p(-131.37229656107405), "8.825e-58");
        assert_eq!(format_p(-5000.0), "3.370e-2172");
        assert_eq!(format_p(f64::NEG_INFINITY), "0");
    }

    #[test]
    fn robust_z_flags_the_outlier_only() {
        let values = [20.0, 22.0, 25.0, 19.0, 24.0, 21.0, 240.0];
        let b = Baseline::of(&values);
        assert_eq!(b.median, 22.0);
        assert_eq!(b.mad, 2.0);
        assert!(b.z(240.0) > 3.5);
        assert!(values[..6].iter().all(|v| b.z(*v).abs() < 3.5));
        // All peers equal: MAD 0, the mean absolute deviation takes over.
        let b = Baseline::of(&[0.0, 0.0, 0.0, 0.0, 5.0]);
        assert_eq!(b.mad, 0.0);
        assert!(b.z(5.0) > 3.5);
        let b = Baseline::of(&[3.0, 3.0, 3.0]);
        assert_eq!(b.z(3.0), 0.0);
        assert_eq!(b.z(4.0), f64::INFINITY);
    }

    proptest::proptest! {
        #[test]
        fn upper_tail_is_a_probability_falling_in_k(pop in 1u64..400, succ_frac in 0.0f64..1.0, draw_frac in 0.0f64..1.0) {
            let succ = (pop as f64 * succ_frac) as u64;
            let draws = (pop as f64 * draw_frac) as u64;
            let mut last = 0.0f64;
            for k in 0..=succ.min(draws) + 1 {
                let ln = hypergeometric_upper_tail_ln(pop, succ, draws, k);
                proptest::prop_assert!(ln <= 0.0);
                proptest::prop_assert!(k == 0 || ln <= last + 1e-12, "not falling at k={}: {} > {}", k, ln, last);
                last = ln;
            }
            proptest::prop_assert_eq!(hypergeometric_upper_tail_ln(pop, succ, draws, 0), 0.0);
        }
    }
}
