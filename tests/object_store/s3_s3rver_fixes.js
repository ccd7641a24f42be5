// Preloaded into s3rver 3.7.1 by scripts/test-servers.sh (node --require) to fix
// where its filesystem store deviates from S3, so that the S3 object store is tested
// against S3 semantics rather than s3rver's bugs:
//  - ListObjects walks directories, so "a/b" is listed before "a-b"; S3 lists keys in
//    UTF-8 byte order. Here keys are collected, then sorted.
//  - putObject truncates the object file in place (and answers before the bytes are
//    written), so readers see partial objects; S3 replaces objects atomically. Here the
//    bytes go to a temp file that is renamed over the object.
//  - getObject takes the size from one stat and reads the file by path later, so an
//    overwrite in between yields a mismatched body; a Range on an empty object hangs.
//    Here the size comes from the open file, and any Range on an empty object is 416.
// s3rver is located through CAIRN_S3RVER_MODULES (its node_modules directory).
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { Readable } = require('stream');
const { pipeline } = require('stream/promises');

const modules = process.env.CAIRN_S3RVER_MODULES;
const load = (name) => require(require.resolve(name, { paths: [modules] }));
const FilesystemStore = load('s3rver/lib/stores/filesystem');
const S3Object = load('s3rver/lib/models/object');

const OBJECT_SUFFIX = '._S3rver_object';
const byteOrder = (a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b));

// Every object file below `dir`, in no particular order.
function* walkObjects(dir) {
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return;
    throw err;
  }
  for (const entry of entries) {
    const entryPath = path.posix.join(dir, entry.name);
    if (entry.isDirectory()) yield* walkObjects(entryPath);
    else if (entry.name.endsWith(OBJECT_SUFFIX)) yield entryPath;
  }
}

FilesystemStore.prototype.listObjects = async function listObjects(bucket, options) {
  const { delimiter = '', startAfter = '', prefix = '', maxKeys = Infinity } = options;
  const bucketPath = this.getBucketPath(bucket);
  // Only the deepest directory the prefix names fully can hold matching keys.
  const prefixDir = prefix.slice(0, prefix.lastIndexOf('/') + 1);
  const keys = [];
  for (const file of walkObjects(path.posix.join(bucketPath, prefixDir))) {
    const key = file.slice(bucketPath.length + 1, -OBJECT_SUFFIX.length);
    if (key.startsWith(prefix) && byteOrder(key, startAfter) > 0) keys.push(key);
  }
  keys.sort(byteOrder);

  const commonPrefixes = new Set();
  const selected = [];
  let isTruncated = false;
  for (const key of keys) {
    const idx = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
    if (idx !== -1) {
      commonPrefixes.add(key.slice(0, idx + delimiter.length));
      continue;
    }
    if (selected.length >= maxKeys) {
      isTruncated = true;
      break;
    }
    selected.push(key);
  }
  const metadata = await Promise.all(
    selected.map((key) =>
      this.getMetadata(bucket, key).catch((err) => {
        if (err.code === 'ENOENT') return undefined;  // deleted since the walk
        throw err;
      }),
    ),
  );
  const objects = [];
  selected.forEach((key, i) => {
    if (metadata[i]) objects.push(new S3Object(bucket, key, null, metadata[i]));
  });
  return { objects, commonPrefixes: [...commonPrefixes].sort(byteOrder), isTruncated };
};

FilesystemStore.prototype.putObject = async function putObject(object) {
  const objectPath = this.getResourcePath(object.bucket, object.key, 'object');
  await fs.promises.mkdir(path.dirname(objectPath), { recursive: true });
  const tmpPath = `${objectPath}.tmp-${crypto.randomBytes(8).toString('hex')}`;
  const md5 = crypto.createHash('md5');
  let size = 0;
  const source = Buffer.isBuffer(object.content) ? Readable.from([object.content]) : object.content;
  try {
    await pipeline(
      source,
      async function* hash(chunks) {
        for await (const chunk of chunks) {
          md5.update(chunk);
          size += chunk.length;
          yield chunk;
        }
      },
      fs.createWriteStream(tmpPath),
    );
    await fs.promises.rename(tmpPath, objectPath);
  } catch (err) {
    await fs.promises.rm(tmpPath, { force: true });
    throw err;
  }
  const digest = md5.digest('hex');
  await this.putMetadata(object.bucket, object.key, object.metadata, digest);
  return { size, md5: digest };
};

FilesystemStore.prototype.getObject = async function getObject(bucket, key, options) {
  let handle;
  try {
    handle = await fs.promises.open(this.getResourcePath(bucket, key, 'object'), 'r');
  } catch (err) {
    if (err.code === 'ENOENT') return null;
    throw err;
  }
  try {
    const stat = await handle.stat();  // the bytes we serve are this file's bytes
    const stored = await this.getMetadata(bucket, key).catch(() => ({}));
    const metadata = {
      ...stored,
      'last-modified': stat.mtime.toUTCString(),
      'content-length': stat.size,
    };
    const ranged = options && (options.start !== undefined || options.end !== undefined);
    const start = (options && options.start) || 0;
    const end = Math.min(
      options && options.end !== undefined ? options.end : Infinity,
      stat.size - 1,
    );
    if (ranged && (stat.size === 0 || start > end)) {
      await handle.close();
      const object = new S3Object(bucket, key, null, metadata);
      object.range = { start, end };
      return object;  // the controller answers 416 InvalidRange
    }
    const content =
      stat.size === 0
        ? (await handle.close(), Readable.from([]))
        : handle.createReadStream({ start, end, autoClose: true });
    const object = new S3Object(bucket, key, content, metadata);
    if (ranged) object.range = { start, end };
    return object;
  } catch (err) {
    await handle.close().catch(() => {});
    throw err;
  }
};
