// HMAC-SHA-256 for the instrumentation's reports, written so that the page cannot learn the key.
// A page shares its JavaScript world with the instrumentation and may patch any prototype after
// the init scripts ran, so the key lives only in this closure's typed arrays, every primitive is
// captured here before any page script runs, and the work is plain arithmetic (typed-array
// indexing never consults a prototype). A page can read sealed reports on their way out; it
// cannot make new ones. This file is one expression: (keyHex) => seal(message) -> hex MAC.
((keyHex) => {
  const U32 = Uint32Array, U8 = Uint8Array;
  const encoder = new TextEncoder();
  const encode = encoder.encode.bind(encoder);
  const HEX = "0123456789abcdef";
  const K = new U32([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2]);
  const IV = new U32([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
  const W = new U32(64);

  const compress = (H, bytes, off) => {
    for (let i = 0; i < 16; i++) {
      const j = off + 4 * i;
      W[i] = ((bytes[j] << 24) | (bytes[j + 1] << 16) | (bytes[j + 2] << 8) | bytes[j + 3]) >>> 0;
    }
    for (let i = 16; i < 64; i++) {
      const a = W[i - 15], b = W[i - 2];
      const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
      const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
      W[i] = (W[i - 16] + s0 + W[i - 7] + s1) >>> 0;
    }
    let a = H[0], b = H[1], c = H[2], d = H[3], e = H[4], f = H[5], g = H[6], h = H[7];
    for (let i = 0; i < 64; i++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[i] + W[i]) >>> 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) >>> 0;
      h = g; g = f; f = e; e = (d + t1) >>> 0; d = c; c = b; b = a; a = (t1 + t2) >>> 0;
    }
    H[0] = (H[0] + a) >>> 0; H[1] = (H[1] + b) >>> 0; H[2] = (H[2] + c) >>> 0; H[3] = (H[3] + d) >>> 0;
    H[4] = (H[4] + e) >>> 0; H[5] = (H[5] + f) >>> 0; H[6] = (H[6] + g) >>> 0; H[7] = (H[7] + h) >>> 0;
  };

  // SHA-256 of (one 64-byte block already folded into `state`) + data; 32 bytes out.
  const finish = (state, data) => {
    const H = new U32(8);
    for (let i = 0; i < 8; i++) H[i] = state[i];
    const n = data.length, size = (((n + 9 + 63) / 64) | 0) * 64;
    const buf = new U8(size);
    for (let i = 0; i < n; i++) buf[i] = data[i];
    buf[n] = 0x80;
    const bits = (64 + n) * 8;
    const hi = (bits / 4294967296) >>> 0, lo = bits >>> 0;
    buf[size - 8] = hi >>> 24; buf[size - 7] = hi >>> 16; buf[size - 6] = hi >>> 8; buf[size - 5] = hi;
    buf[size - 4] = lo >>> 24; buf[size - 3] = lo >>> 16; buf[size - 2] = lo >>> 8; buf[size - 1] = lo;
    for (let off = 0; off < size; off += 64) compress(H, buf, off);
    const out = new U8(32);
    for (let i = 0; i < 8; i++) {
      out[4 * i] = H[i] >>> 24; out[4 * i + 1] = H[i] >>> 16; out[4 * i + 2] = H[i] >>> 8; out[4 * i + 3] = H[i];
    }
    return out;
  };

  const padState = (pad) => {
    const block = new U8(64);
    for (let i = 0; i < 64; i++) {
      const k = i < keyHex.length / 2 ? parseInt(keyHex.substr(2 * i, 2), 16) : 0;
      block[i] = k ^ pad;
    }
    const H = new U32(8);
    for (let i = 0; i < 8; i++) H[i] = IV[i];
    compress(H, block, 0);
    return H;
  };
  const inner = padState(0x36), outer = padState(0x5c);
  keyHex = "";

  return (message) => {
    const mac = finish(outer, finish(inner, encode(message)));
    let hex = "";
    for (let i = 0; i < 32; i++) hex += HEX[mac[i] >>> 4] + HEX[mac[i] & 15];
    return hex;
  };
})
