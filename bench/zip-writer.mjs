// A minimal zip writer for the bench packages (never committed): stored entries and entries copied raw
// (already deflated) from another zip. No zip64: bench packages stay under 4 GiB.
import { closeSync, openSync, writeSync } from 'node:fs';

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL_DIR = 0x06054b50;
const UTF8_NAMES = 0x0800;

/** entries: { name, method (0 stored / 8 deflated), crc, size (uncompressed), data (as stored) }[] */
export function writeZip(path, entries) {
  const fd = openSync(path, 'w');
  let offset = 0;
  const central = [];
  const put = (buf) => { writeSync(fd, buf); offset += buf.length; };
  for (const e of entries) {
    const name = Buffer.from(e.name);
    // local file header: 0 sig | 4 version | 6 flags | 8 method | 10 time | 12 date | 14 crc | 18 csize | 22 size | 26 name len | 28 extra len
    const h = Buffer.alloc(30);
    h.writeUInt32LE(LOCAL_HEADER, 0); h.writeUInt16LE(20, 4); h.writeUInt16LE(UTF8_NAMES, 6); h.writeUInt16LE(e.method, 8);
    h.writeUInt32LE(e.crc >>> 0, 14); h.writeUInt32LE(e.data.length, 18); h.writeUInt32LE(e.size, 22); h.writeUInt16LE(name.length, 26);
    const at = offset;
    put(h); put(name); put(e.data);
    // central header: 0 sig | 4 made by | 6 version | 8 flags | 10 method | 12 time | 14 date | 16 crc | 20 csize | 24 size
    //   | 28 name len | 30 extra len | 32 comment len | 34 disk | 36 int attr | 38 ext attr | 42 local header offset
    const c = Buffer.alloc(46);
    c.writeUInt32LE(CENTRAL_HEADER, 0); c.writeUInt16LE(20, 4); c.writeUInt16LE(20, 6); c.writeUInt16LE(UTF8_NAMES, 8); c.writeUInt16LE(e.method, 10);
    c.writeUInt32LE(e.crc >>> 0, 16); c.writeUInt32LE(e.data.length, 20); c.writeUInt32LE(e.size, 24); c.writeUInt16LE(name.length, 28);
    c.writeUInt32LE(at, 42);
    central.push(Buffer.concat([c, name]));
  }
  const cdAt = offset;
  for (const c of central) put(c);
  // end of central directory: 0 sig | 8 entries on disk | 10 entries | 12 cd size | 16 cd offset | 20 comment len
  const end = Buffer.alloc(22);
  end.writeUInt32LE(END_OF_CENTRAL_DIR, 0); end.writeUInt16LE(central.length, 8); end.writeUInt16LE(central.length, 10);
  end.writeUInt32LE(offset - cdAt, 12); end.writeUInt32LE(cdAt, 16);
  put(end);
  closeSync(fd);
}
