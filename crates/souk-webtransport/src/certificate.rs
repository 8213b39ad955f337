//! Self-signed certificates that browsers accept by hash, and their rotation.
//!
//! A browser dials WebTransport with `serverCertificateHashes`, which only takes an ECDSA
//! certificate valid for at most 14 days. So the listener keeps a chain of certificates, one
//! per rotation period: it serves the *current* one, announces the current and the *next*
//! hash in its address (a dialer that learnt the address just before a rotation still finds
//! its hash served afterwards), and reports the *last* one too in Noise (a dialer holding the
//! address from before the rotation still finds every hash it expects).

use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use libp2p::multihash::Multihash;
use rustls::crypto::ring::sign::any_ecdsa_type;
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use sha2::{Digest, Sha256};

use crate::Error;

/// The multihash code of SHA-256, the only hash browsers take in `serverCertificateHashes`.
pub(crate) const SHA2_256: u64 = 0x12;
/// The longest validity a browser accepts for a certificate pinned by hash.
pub const MAX_VALIDITY: Duration = Duration::from_secs(14 * 24 * 60 * 60);
/// How far before its serving window a certificate is already valid, for dialers whose clocks
/// run behind (capped at the rotation period, so short test periods stay short).
const CLOCK_SKEW: Duration = Duration::from_secs(60 * 60);

/// One certificate: served from `start` for one rotation period, valid for two (plus the skew
/// allowance before `start`), so it outlives its serving window by a period of slack.
#[derive(Clone)]
pub struct Certificate {
    start: SystemTime,
    key: Arc<CertifiedKey>,
    hash: Multihash<64>,
}

impl Certificate {
    fn generate(start: SystemTime, period: Duration) -> Result<Self, Error> {
        let keys = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
        let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()])?;
        params.not_before = (start - CLOCK_SKEW.min(period)).into();
        params.not_after = (start + 2 * period).into();
        let der = params.self_signed(&keys)?.der().clone();
        let private = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(keys.serialize_der()));
        let hash = Multihash::wrap(SHA2_256, &Sha256::digest(&der))
            .expect("a SHA-256 digest fits a 64-byte multihash");
        Ok(Self { start, key: Arc::new(CertifiedKey::new(vec![der], any_ecdsa_type(&private)?)), hash })
    }

    /// The certhash: the multihash of the certificate's DER encoding.
    pub fn hash(&self) -> Multihash<64> {
        self.hash
    }
}

/// The last, current and next certificates of a listener, rotated every `period`.
pub struct Certificates {
    period: Duration,
    last: Option<Certificate>,
    current: Certificate,
    next: Certificate,
}

impl Certificates {
    /// Certificates whose first serving window starts at `now`. `period` is at most half of
    /// [`MAX_VALIDITY`] less the skew allowance, or browsers refuse the certificates.
    pub fn new(now: SystemTime, period: Duration) -> Result<Self, Error> {
        if period.is_zero() || 2 * period + CLOCK_SKEW.min(period) > MAX_VALIDITY {
            return Err(Error::RotationPeriod(period));
        }
        Ok(Self {
            period,
            last: None,
            current: Certificate::generate(now, period)?,
            next: Certificate::generate(now + period, period)?,
        })
    }

    /// When the next certificate takes over.
    pub fn due(&self) -> SystemTime {
        self.next.start
    }

    /// Moves on once `now` reaches [`Self::due`]. A listener that slept through a whole
    /// serving window starts a fresh chain rather than serve a certificate about to expire.
    pub fn rotate(&mut self, now: SystemTime) -> Result<(), Error> {
        if now < self.due() {
            return Ok(());
        }
        if now >= self.due() + self.period {
            *self = Self::new(now, self.period)?;
            return Ok(());
        }
        let next = Certificate::generate(self.next.start + self.period, self.period)?;
        let current = std::mem::replace(&mut self.next, next);
        self.last = Some(std::mem::replace(&mut self.current, current));
        Ok(())
    }

    /// The certificate served now.
    pub fn current(&self) -> &Certificate {
        &self.current
    }

    /// The hashes a listener's address carries: the current one, then the next.
    pub fn advertised(&self) -> [Multihash<64>; 2] {
        [self.current.hash, self.next.hash]
    }

    /// The hashes reported to a dialer in Noise: every hash an address still in circulation
    /// may carry.
    pub fn reported(&self) -> impl Iterator<Item = Multihash<64>> + '_ {
        self.last.iter().chain([&self.current, &self.next]).map(Certificate::hash)
    }
}

/// The TLS side of rotation: hands rustls whichever certificate is current, swapped in place
/// so the QUIC endpoint never restarts.
#[derive(Debug)]
pub struct Resolver(RwLock<Arc<CertifiedKey>>);

impl Resolver {
    pub fn new(certificate: &Certificate) -> Self {
        Self(RwLock::new(certificate.key.clone()))
    }

    pub fn serve(&self, certificate: &Certificate) {
        *self.0.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = certificate.key.clone();
    }
}

impl ResolvesServerCert for Resolver {
    fn resolve(&self, _: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.0.read().unwrap_or_else(|poisoned| poisoned.into_inner()).clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: Duration = Duration::from_secs(24 * 60 * 60);

    #[test]
    fn rotation_moves_next_to_current_and_keeps_the_last() {
        let start = SystemTime::UNIX_EPOCH + 20_000 * DAY;
        let mut certificates = Certificates::new(start, 6 * DAY).unwrap();
        let [first, second] = certificates.advertised();
        assert_eq!(certificates.reported().count(), 2);

        certificates.rotate(start + 6 * DAY - Duration::from_secs(1)).unwrap();
        assert_eq!(certificates.advertised(), [first, second], "not due yet");

        certificates.rotate(start + 6 * DAY).unwrap();
        let [current, third] = certificates.advertised();
        assert_eq!(current, second);
        assert_ne!(third, second);
        let reported: Vec<_> = certificates.reported().collect();
        assert_eq!(reported, [first, second, third]);
        assert_eq!(certificates.due(), start + 12 * DAY);
    }

    #[test]
    fn a_long_sleep_starts_a_fresh_chain_that_is_valid_now() {
        let start = SystemTime::UNIX_EPOCH + 20_000 * DAY;
        let mut certificates = Certificates::new(start, 6 * DAY).unwrap();
        let woke = start + 40 * DAY;
        certificates.rotate(woke).unwrap();
        assert!(certificates.current().start <= woke);
        assert!(woke < certificates.current().start + 2 * 6 * DAY);
        assert!(certificates.due() > woke);
    }

    #[test]
    fn a_period_browsers_would_refuse_is_an_error() {
        let now = SystemTime::now();
        assert!(matches!(Certificates::new(now, 7 * DAY), Err(Error::RotationPeriod(_))));
        assert!(Certificates::new(now, Duration::ZERO).is_err());
        assert!(Certificates::new(now, Duration::from_secs(2)).is_ok());
    }
}
