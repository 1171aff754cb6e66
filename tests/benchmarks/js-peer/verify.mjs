// Reference peer for bench_credentials.py: verify the credentials microcred signed, with
// Digital Bazaar's vc + data-integrity + eddsa-rdfc-2022 (what wallets and VerifierPlus use).
//
// Usage: node verify.mjs input.json  ->  prints one JSON line with the figures.
// input.json: {contexts: {url: file}, documents: {url: doc}, statusLists: {url: doc},
//              credentials: [vc...], now: ISO date, rounds: n}
// Offline: the document loader serves only the bundled contexts (the same files microcred uses)
// and the given DID / key documents; every other URL is refused.
import {readFileSync} from 'node:fs';
import {gunzipSync} from 'node:zlib';
import {performance} from 'node:perf_hooks';
import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';

const input = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const documents = new Map();
for(const [url, file] of Object.entries(input.contexts)) {
  documents.set(url, JSON.parse(readFileSync(file, 'utf8')));
}
for(const [url, doc] of Object.entries(input.documents)) {
  documents.set(url, doc);
}

async function documentLoader(url) {
  const document = documents.get(url);
  if(document === undefined) {
    throw new Error(`refused to load ${url} (not bundled)`);
  }
  return {contextUrl: null, documentUrl: url, document};
}

const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022});
const now = new Date(input.now);

// Status: verify each status list credential once (cached, as microcred does), then read bits.
const lists = new Map();
async function statusBits(url) {
  if(!lists.has(url)) {
    const listVc = input.statusLists[url];
    if(!listVc) {
      throw new Error(`status list ${url} unreachable`);
    }
    const result = await vc.verifyCredential({credential: listVc, suite, documentLoader, now});
    if(!result.verified) {
      throw new Error(`status list ${url} does not verify`);
    }
    const encoded = listVc.credentialSubject.encodedList;
    lists.set(url, gunzipSync(Buffer.from(encoded.slice(1), 'base64url')));
  }
  return lists.get(url);
}

async function checkStatus({credential}) {
  try {
    const entry = credential.credentialStatus;
    const bits = await statusBits(entry.statusListCredential);
    const index = Number(entry.statusListIndex);
    const set = (bits[index >> 3] & (0x80 >> (index % 8))) !== 0;
    return {verified: !set};
  } catch(error) {
    return {verified: false, error};
  }
}

async function verifyOne(credential) {
  const result = await vc.verifyCredential({
    credential, suite, documentLoader, now, checkStatus
  });
  return result;
}

// Warm up (context processing caches), then time `rounds` passes over all credentials.
const errors = [];
let verified = 0;
let failed = 0;
for(const credential of input.credentials) {
  const result = await verifyOne(credential);
  if(result.verified) {
    verified++;
  } else {
    failed++;
    if(errors.length < 3) {
      const error = result.statusResult?.error || result.error ||
        result.results?.[0]?.error || result;
      errors.push(String(error?.message || JSON.stringify(error)).slice(0, 500));
    }
  }
}
const rounds = input.rounds || 1;
const start = performance.now();
const cpuStart = process.cpuUsage();
let count = 0;
for(let round = 0; round < rounds; round++) {
  for(const credential of input.credentials) {
    await verifyOne(credential);
    count++;
  }
}
const seconds = (performance.now() - start) / 1000;
const cpu = process.cpuUsage(cpuStart);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
console.log(JSON.stringify({
  verified, failed, errors, count, seconds, cpuSeconds,
  perSecond: count / seconds, perCpuSecond: count / cpuSeconds,
  node: process.version
}));
