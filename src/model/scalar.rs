//! Mesos scalars in exact fixed point.
//!
//! Mesos keeps every scalar resource as an integer number of thousandths, computed as
//! `llround(value * 1000)` on the double product (`src/common/values.cpp`, tests
//! `ResourcesTest.Precision*`): `1.5011` → `1.501`, `1.5015` → `1.502`, `1.2345` → `1.235`.
//! All arithmetic and comparison then happen on integers, so `0.1 + 0.2 == 0.3` holds and a
//! long series of additions and subtractions never drifts.

use std::fmt;

use crate::error::{Error, Result};

/// A non-NaN scalar amount stored as thousandths in an `i64`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Scalar(i64);

/// The largest magnitude a scalar may have: `2^53 / 1000`, so that every value converts back
/// to an exactly representable double and JSON numbers stay exact.
pub const SCALAR_MAX_MILLIS: i64 = 1 << 53;

impl Scalar {
    /// Zero.
    pub const ZERO: Scalar = Scalar(0);

    /// A scalar from a whole number of thousandths.
    ///
    /// ```
    /// use offerfit::Scalar;
    /// assert_eq!(Scalar::from_millis(1500).to_string(), "1.5");
    /// ```
    pub const fn from_millis(millis: i64) -> Scalar {
        Scalar(millis)
    }

    /// A scalar from a whole number of units (`Scalar::from_units(8)` is `8`).
    pub const fn from_units(units: i64) -> Scalar {
        Scalar(units.saturating_mul(1000))
    }

    /// Converts a double the way Mesos does: round half away from zero on `value * 1000`.
    ///
    /// # Errors
    /// `scalar.not_finite` for NaN and infinities, `scalar.out_of_range` beyond ±2^53/1000.
    ///
    /// ```
    /// use offerfit::Scalar;
    /// assert_eq!(Scalar::from_f64(1.5015).unwrap().millis(), 1502);
    /// assert_eq!(Scalar::from_f64(1.2344).unwrap().to_string(), "1.234");
    /// assert!(Scalar::from_f64(f64::NAN).is_err());
    /// ```
    pub fn from_f64(value: f64) -> Result<Scalar> {
        if !value.is_finite() {
            return Err(Error::invalid(
                "scalar.not_finite",
                format!("expected a finite number, found `{}`", crate::error::number(value)),
            ));
        }
        let product = (value * 1000.0).round();
        if product.abs() > SCALAR_MAX_MILLIS as f64 {
            return Err(Error::invalid(
                "scalar.out_of_range",
                format!("scalar `{}` is too large to be held exactly (at most 2^53/1000)", crate::error::number(value)),
            ));
        }
        // In range by the check above, so the cast is exact.
        Ok(Scalar(product as i64))
    }

    /// Thousandths.
    pub const fn millis(self) -> i64 {
        self.0
    }

    /// The nearest double (exact for every value this type can hold).
    pub fn to_f64(self) -> f64 {
        self.0 as f64 / 1000.0
    }

    /// True for zero.
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// True for a value below zero.
    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// Addition that saturates instead of overflowing.
    #[must_use]
    pub const fn saturating_add(self, other: Scalar) -> Scalar {
        Scalar(self.0.saturating_add(other.0))
    }

    /// Subtraction that saturates instead of overflowing.
    #[must_use]
    pub const fn saturating_sub(self, other: Scalar) -> Scalar {
        Scalar(self.0.saturating_sub(other.0))
    }

    /// `self - other`, or `None` when the result would be negative.
    pub fn checked_sub_nonneg(self, other: Scalar) -> Option<Scalar> {
        let r = self.0.checked_sub(other.0)?;
        (r >= 0).then_some(Scalar(r))
    }

    /// The smaller of two scalars.
    #[must_use]
    pub fn min(self, other: Scalar) -> Scalar {
        Scalar(self.0.min(other.0))
    }
}

impl std::ops::Add for Scalar {
    type Output = Scalar;
    fn add(self, rhs: Scalar) -> Scalar {
        self.saturating_add(rhs)
    }
}

impl std::ops::Sub for Scalar {
    type Output = Scalar;
    fn sub(self, rhs: Scalar) -> Scalar {
        self.saturating_sub(rhs)
    }
}

impl std::ops::AddAssign for Scalar {
    fn add_assign(&mut self, rhs: Scalar) {
        *self = self.saturating_add(rhs);
    }
}

impl std::ops::SubAssign for Scalar {
    fn sub_assign(&mut self, rhs: Scalar) {
        *self = self.saturating_sub(rhs);
    }
}

impl std::iter::Sum for Scalar {
    fn sum<I: Iterator<Item = Scalar>>(iter: I) -> Scalar {
        iter.fold(Scalar::ZERO, |a, b| a + b)
    }
}

/// Mesos' printed form: the full integer part, then at most three fraction digits with
/// trailing zeros (and a trailing point) dropped: `45.55`, `1024`, `99999999999.999`.
impl fmt::Display for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let (int, frac) = (abs / 1000, abs % 1000);
        if frac == 0 {
            write!(f, "{sign}{int}")
        } else {
            let digits = format!("{frac:03}");
            write!(f, "{sign}{int}.{}", digits.trim_end_matches('0'))
        }
    }
}

impl serde::Serialize for Scalar {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        if self.0 % 1000 == 0 {
            s.serialize_i64(self.0 / 1000)
        } else {
            s.serialize_f64(self.to_f64())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mesos_precision_cases() {
        let cases = [(1.5011, 1501), (1.5015, 1502), (1.2345, 1235), (0.0004, 0), (0.0005, 1), (45.55, 45550)];
        for (v, m) in cases {
            assert_eq!(Scalar::from_f64(v).unwrap().millis(), m, "{v}");
        }
    }

    #[test]
    fn display_drops_trailing_zeros() {
        assert_eq!(Scalar::from_millis(45550).to_string(), "45.55");
        assert_eq!(Scalar::from_millis(1024000).to_string(), "1024");
        assert_eq!(Scalar::from_millis(1).to_string(), "0.001");
        assert_eq!(Scalar::from_millis(-1500).to_string(), "-1.5");
        assert_eq!(Scalar::from_f64(99999999999.9994).unwrap().to_string(), "99999999999.999");
    }

    #[test]
    fn arithmetic_is_exact() {
        let a = Scalar::from_f64(0.1).unwrap() + Scalar::from_f64(0.2).unwrap();
        assert_eq!(a, Scalar::from_f64(0.3).unwrap());
        let mut total = Scalar::ZERO;
        for _ in 0..1000 {
            total += Scalar::from_f64(1.001).unwrap();
        }
        for _ in 0..1000 {
            total -= Scalar::from_f64(1.001).unwrap();
        }
        assert!(total.is_zero());
    }

    #[test]
    fn refuses_what_cannot_be_held() {
        assert_eq!(Scalar::from_f64(f64::INFINITY).unwrap_err().code(), "scalar.not_finite");
        assert_eq!(Scalar::from_f64(1e16).unwrap_err().code(), "scalar.out_of_range");
        assert!(Scalar::from_f64(9_007_199_254_740.0).is_ok());
    }

    #[test]
    fn serializes_integers_as_integers() {
        assert_eq!(serde_json::to_string(&Scalar::from_units(8)).unwrap(), "8");
        assert_eq!(serde_json::to_string(&Scalar::from_millis(45550)).unwrap(), "45.55");
    }
}
