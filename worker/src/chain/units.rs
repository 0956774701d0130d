//! Amounts of the native token as people write them (`10`, `2.5`: units of 10^12).

use super::{Balance, UNIT};
use anyhow::{anyhow, bail};

/// Reads a key-less `u128` amount like `10` or `2.5` (units of 10^12).
pub fn parse_amount(text: &str) -> anyhow::Result<Balance> {
	let text = text.trim();
	let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
	if whole.is_empty() && frac.is_empty() || frac.len() > 12 {
		bail!("invalid amount '{text}': use units with at most 12 decimals, e.g. 10 or 2.5");
	}
	let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
	if !digits(whole) || !digits(frac) {
		bail!("invalid amount '{text}': use units with at most 12 decimals, e.g. 10 or 2.5");
	}
	let whole: Balance = if whole.is_empty() { 0 } else { whole.parse()? };
	let frac_value: Balance = if frac.is_empty() { 0 } else { format!("{frac:0<12}").parse()? };
	whole
		.checked_mul(UNIT)
		.and_then(|w| w.checked_add(frac_value))
		.ok_or_else(|| anyhow!("amount '{text}' is too large"))
}

/// Formats an amount in units with 4 decimals.
pub fn format_amount(amount: Balance) -> String {
	let whole = amount / UNIT;
	let frac = (amount % UNIT) / 100_000_000;
	format!("{whole}.{frac:04}")
}

/// Formats a signed difference in units with 4 decimals.
pub fn format_delta(before: Balance, after: Balance) -> String {
	if after >= before {
		format!("+{}", format_amount(after - before))
	} else {
		format!("-{}", format_amount(before - after))
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn amounts_parse_exactly() {
		assert_eq!(parse_amount("10").unwrap(), 10 * UNIT);
		assert_eq!(parse_amount("2.5").unwrap(), 2 * UNIT + UNIT / 2);
		assert_eq!(parse_amount("0.000000000001").unwrap(), 1);
		for bad in ["", ".", "1.0000000000001", "-1", "1e3", "abc"] {
			assert!(parse_amount(bad).is_err(), "{bad}");
		}
		assert!(parse_amount("340282366920938463463374607431768211455").is_err());
		assert_eq!(format_amount(2 * UNIT + UNIT / 2), "2.5000");
		assert_eq!(format_delta(5 * UNIT, 3 * UNIT), "-2.0000");
	}
}
