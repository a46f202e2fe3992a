// Readers for the raw llvm-objdump / llvm-nm text stored in tests/oracle/ipa/macho/.

export interface OracleCommand {
  cmd: string;
  fields: Record<string, string>;
}

export interface OracleSlice {
  arch?: string;
  cputype: string;
  cpusubtype: string;
  filetype: string;
  ncmds: number;
  flags: string[];
  commands: OracleCommand[];
}

export interface OracleObjdump {
  entry: string;
  fat: { arch: string; offset: number; size: number }[];
  slices: OracleSlice[];
}

export function parseObjdump(text: string): OracleObjdump {
  const lines = text.split('\n');
  const entry = (lines[0] ?? '').replace(/^# entry: /, '');
  const fat: OracleObjdump['fat'] = [];
  const slices: OracleSlice[] = [];
  let slice: OracleSlice | undefined;
  let cmd: OracleCommand | undefined;
  let arch: string | undefined;
  let inSection = false;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    let m: RegExpExecArray | null;
    if ((m = /^architecture (\S+)$/.exec(line))) {
      fat.push({ arch: m[1] as string, offset: -1, size: -1 });
    } else if ((m = /^ {4}(offset|size) (\d+)$/.exec(line)) && slice === undefined) {
      const f = fat[fat.length - 1];
      if (f) f[m[1] as 'offset' | 'size'] = Number(m[2]);
    } else if ((m = /^EXE(?: \(architecture (\S+)\))?:$/.exec(line))) {
      arch = m[1];
      slice = undefined;
    } else if (line === 'Mach header') {
      const cols = (lines[i + 2] ?? '').trim().split(/\s+/);
      slice = { arch, cputype: cols[1] as string, cpusubtype: cols[2] as string, filetype: cols[4] as string, ncmds: Number(cols[5]), flags: cols.slice(7), commands: [] };
      slices.push(slice);
      i += 2;
    } else if (/^Load command \d+$/.test(line)) {
      cmd = undefined;
      inSection = false;
    } else if (line === 'Section') {
      inSection = true;
    } else if (slice && !inSection && (m = /^\s*(\S[\w ]*?)\s+(.*)$/.exec(line))) {
      const key = m[1] as string;
      const value = m[2] as string;
      if (key === 'cmd') {
        cmd = { cmd: value, fields: {} };
        slice.commands.push(cmd);
      } else if (cmd && !(key in cmd.fields)) {
        cmd.fields[key] = value;
      }
    }
  }
  return { entry, fat, slices };
}

/** Undefined symbols per architecture ('' for a thin binary). */
export function parseNm(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let current = '';
  for (const line of text.split('\n').slice(1)) {
    const m = /^EXE(?: \(for architecture (\S+)\))?:$/.exec(line);
    if (m) {
      current = m[1] ?? '';
      continue;
    }
    if (line.trim() === '') continue;
    if (!out.has(current)) out.set(current, []);
    (out.get(current) as string[]).push(line.trim());
  }
  return out;
}
