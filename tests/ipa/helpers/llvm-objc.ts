// Readers for llvm-objdump --objc-meta-data / --section and llvm-nm text (raw tool output, stored under
// tests/oracle/ios-code/ or produced in the test).

/**
 * Class names of the class list as llvm-objdump --macho --objc-meta-data prints them: per entry of a
 * __objc_classlist section, the name line of its class_ro_t (before "Meta Class"). Undefined when LLVM
 * printed the list's pointers only (it does not follow chained fixups before LLVM 15).
 */
export function objdumpClassNames(text: string): string[] | undefined {
  const out: string[] = [];
  let inList = false;
  let entries = 0;
  let pending = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('Contents of (')) {
      inList = /,__objc_classlist\) section$/.test(line);
      pending = false;
      continue;
    }
    if (!inList) continue;
    if (/^[0-9a-f]{8,16} 0x[0-9a-f]+/.test(line)) {
      entries++;
      pending = true;
      continue;
    }
    if (line === 'Meta Class') {
      pending = false;
      continue;
    }
    const m = /^ {21}name 0x[0-9a-f]+ (.*)$/.exec(line);
    if (m && pending) {
      out.push(m[1] as string);
      pending = false;
    }
  }
  if (entries > 0 && out.length === 0) return undefined;
  return out;
}

/** Strings of the named sections in llvm-objdump --macho --section=SEG,SECT output ("addr  text" lines). */
export function objdumpSectionStrings(text: string, section: string): string[] {
  const out: string[] = [];
  let inSection = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('Contents of (')) {
      inSection = line === `Contents of (${section}) section`;
      continue;
    }
    if (!inSection) continue;
    const m = /^[0-9a-f]{8,16} {2}(.*)$/.exec(line);
    if (m) out.push(unescape(m[1] as string));
  }
  return out;
}

/** llvm-objdump escapes bytes outside printable ASCII as \ooo (octal), and \\ \" \n \t \r as in C. */
const C_ESCAPES: Record<string, number> = { '\\': 0x5c, '"': 0x22, n: 0x0a, t: 0x09, r: 0x0d };
function unescape(s: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\' && /^[0-7]{3}$/.test(s.slice(i + 1, i + 4))) {
      bytes.push(parseInt(s.slice(i + 1, i + 4), 8));
      i += 3;
    } else if (s[i] === '\\' && C_ESCAPES[s[i + 1] as string] !== undefined) {
      bytes.push(C_ESCAPES[s[i + 1] as string] as number);
      i++;
    } else {
      bytes.push(...Buffer.from(s[i] as string, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Size of a section in llvm-objdump --macho --section-headers output. */
export function objdumpSectionSize(text: string, sect: string): number | undefined {
  const m = new RegExp(`^\\s*\\d+ ${sect}\\s+([0-9a-f]+) `, 'm').exec(text);
  return m ? parseInt(m[1] as string, 16) : undefined;
}

/** Symbol names of llvm-nm output ("value type name" lines), in the order printed. */
export function nmNames(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^(?:[0-9a-f]{8,16}| {8,16}) [A-Za-z?] (.+)$/.exec(line);
    if (m) out.push(m[1] as string);
  }
  return out;
}
