//! FIN_ACK, which libp2p's WebRTC specification added after libp2p-webrtc-utils 0.5: the
//! receiver of a FIN answers with a FIN_ACK, so the sender knows its data arrived before it
//! closes the channel (js-libp2p waits up to 10 s for one on every close). The utils' stream
//! takes a flag it does not know as an error, so a channel reads its frames first: it
//! answers each FIN and takes each FIN_ACK out before the stream sees it.
//!
//! Each frame is a varint length and a protobuf `Message { flag = 1; message = 2 }`; only
//! the flag is read, and frames pass on as they came.

use libp2p_webrtc_utils::MAX_MSG_LEN;

/// A FIN_ACK frame: `Message { flag: FIN_ACK }` with its length.
pub(crate) const FIN_ACK: [u8; 3] = [2, 0x08, 3];

const FIN: u64 = 0;
const FLAG_FIN_ACK: u64 = 3;

/// The other side's bytes, cut into frames.
#[derive(Debug, Default)]
pub(crate) struct Frames {
    /// The start of a frame whose end has not arrived: at most one frame.
    partial: Vec<u8>,
    /// Bytes that are not frames (a length past the bound): passed on unread from then on,
    /// for the stream to refuse.
    unframed: bool,
}

/// What a received message holds for the stream.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Received {
    /// The bytes to pass on: every frame but FIN_ACKs.
    pub bytes: Vec<u8>,
    /// FINs among them, each owed a FIN_ACK.
    pub fins: usize,
}

impl Frames {
    pub(crate) fn receive(&mut self, message: Vec<u8>) -> Received {
        if self.unframed {
            return Received { bytes: message, fins: 0 };
        }
        let joined = match self.partial.is_empty() {
            true => message,
            false => [std::mem::take(&mut self.partial).as_slice(), &message].concat(),
        };
        let (mut rest, mut kept, mut fins, mut dropped) = (joined.as_slice(), Vec::new(), 0, false);
        while !rest.is_empty() {
            let Ok((len, body)) = unsigned_varint::decode::usize(rest) else {
                if rest.len() > 10 {
                    self.unframed = true;
                    kept.push(rest);
                    rest = &[];
                }
                break;
            };
            if len > MAX_MSG_LEN {
                self.unframed = true;
                kept.push(rest);
                rest = &[];
                break;
            }
            if body.len() < len {
                break;
            }
            let frame_len = rest.len() - body.len() + len;
            match flag(&body[..len]) {
                Some(FLAG_FIN_ACK) => dropped = true,
                flag => {
                    fins += usize::from(flag == Some(FIN));
                    kept.push(&rest[..frame_len]);
                }
            }
            rest = &rest[frame_len..];
        }
        self.partial = rest.to_vec();
        let whole = !dropped && rest.is_empty();
        let bytes = match whole {
            true => joined,
            false => kept.concat(),
        };
        Received { bytes, fins }
    }
}

/// The flag a frame's protobuf carries, if it carries one and reads as protobuf.
fn flag(mut message: &[u8]) -> Option<u64> {
    use unsigned_varint::decode;
    let mut flag = None;
    while !message.is_empty() {
        let (key, rest) = decode::u64(message).ok()?;
        message = match key & 7 {
            0 => {
                let (value, rest) = decode::u64(rest).ok()?;
                if key >> 3 == 1 {
                    flag = Some(value);
                }
                rest
            }
            2 => {
                let (len, rest) = decode::usize(rest).ok()?;
                rest.get(len..)?
            }
            _ => return None,
        };
    }
    flag
}

#[cfg(test)]
mod tests {
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    /// A frame as libp2p-webrtc-utils writes one.
    fn frame(flag: Option<u8>, message: &[u8]) -> Vec<u8> {
        let mut body = Vec::new();
        if let Some(flag) = flag {
            body.extend([0x08, flag]);
        }
        if !message.is_empty() {
            body.push(0x12);
            body.extend(unsigned_varint::encode::usize(
                message.len(),
                &mut unsigned_varint::encode::usize_buffer(),
            ));
            body.extend(message);
        }
        let mut framed =
            unsigned_varint::encode::usize(body.len(), &mut unsigned_varint::encode::usize_buffer()).to_vec();
        framed.extend(body);
        framed
    }

    #[test]
    fn data_passes_as_it_came_fins_are_counted_and_fin_acks_taken_out() {
        let data = frame(None, b"hello");
        let fin = frame(Some(0), b"");
        let stream = [data.clone(), FIN_ACK.to_vec(), fin.clone(), frame(Some(2), b"")].concat();
        let received = Frames::default().receive(stream);
        assert_eq!(received, Received { bytes: [data, fin, frame(Some(2), b"")].concat(), fins: 1 });
        assert_eq!(FIN_ACK.to_vec(), frame(Some(3), b""));
    }

    #[test]
    fn frames_cut_anywhere_arrive_whole() {
        // A length of two varint bytes, so cuts fall inside it too.
        let big = frame(Some(0), &[7; 300]);
        let stream = [frame(None, b"first"), FIN_ACK.to_vec(), big.clone()].concat();
        for cut in 0..stream.len() {
            let mut frames = Frames::default();
            let (a, b) = (frames.receive(stream[..cut].to_vec()), frames.receive(stream[cut..].to_vec()));
            assert_eq!(
                [a.bytes, b.bytes].concat(),
                [frame(None, b"first"), big.clone()].concat(),
                "cut at {cut}"
            );
            assert_eq!(a.fins + b.fins, 1);
        }
    }

    #[test]
    fn bytes_that_are_not_frames_pass_unread() {
        let mut frames = Frames::default();
        let oversized =
            unsigned_varint::encode::usize(MAX_MSG_LEN + 1, &mut unsigned_varint::encode::usize_buffer())
                .to_vec();
        let garbage = [oversized, vec![1; 40]].concat();
        assert_eq!(frames.receive(garbage.clone()).bytes, garbage);
        // And from then on, so the stream refuses them rather than this waiting on them.
        assert_eq!(frames.receive(FIN_ACK.to_vec()).bytes, FIN_ACK.to_vec());
        assert_eq!(flag(&[0x08]), None, "a key without its value");
        assert_eq!(flag(&[0x0d, 0, 0, 0, 0]), None, "a wire type frames never use");
    }
}
