// A js-libp2p node as a browser peer would run it: WebSocket to the relay, its circuit,
// and `/webrtc` (browser to browser) through it. The tab-to-tab test bundles this with
// esbuild and runs it in a third browser context, to show a Souk tab speaks the protocol
// as js-libp2p does.
import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import { circuitRelayTransport } from "@libp2p/circuit-relay-v2";
import { identify } from "@libp2p/identify";
import { ping } from "@libp2p/ping";
import { webRTC } from "@libp2p/webrtc";
import { webSockets } from "@libp2p/websockets";
import { multiaddr } from "@multiformats/multiaddr";
import { createLibp2p } from "libp2p";

/** Connects to `relay` (a WebSocket multiaddr), dials `tab` through it over `/webrtc`, and
 * pings it on the direct connection; answers what the connection and identify said. */
globalThis.pingTabOverWebRtc = async (relay, tab) => {
  const node = await createLibp2p({
    transports: [webSockets(), webRTC(), circuitRelayTransport()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    // Everything here is on 127.0.0.1, which js-libp2p would not dial by default.
    connectionGater: { denyDialMultiaddr: () => false },
    services: { identify: identify(), ping: ping() },
  });
  try {
    await node.dial(multiaddr(relay));
    const connection = await node.dial(multiaddr(`${relay}/p2p-circuit/webrtc/p2p/${tab}`), {
      signal: AbortSignal.timeout(20_000),
    });
    // On this connection (its address), not the circuit js-libp2p may still hold.
    const rtt = await node.services.ping.ping(connection.remoteAddr, { signal: AbortSignal.timeout(10_000) });
    const { protocols } = await node.peerStore.get(connection.remotePeer);
    return { address: connection.remoteAddr.toString(), rtt, protocols };
  } finally {
    await node.stop();
  }
};
