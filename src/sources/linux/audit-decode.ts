/**
 * Value decoding of Linux audit records. The kernel and auditd write a string that contains a
 * space, a quote or a control character as unquoted hexadecimal (`proctitle=636174002F657463`,
 * `name=2F746D702F6120622E747874`) and other strings in double quotes. The decoders here turn
 * both back into text, numbers of syscalls into names, and socket addresses into fields.
 */

/** Fields whose unquoted values are hex-encoded strings (auparse's escaped types). */
const ENCODED_FIELDS: ReadonlySet<string> = new Set([
  'acct',
  'cmd',
  'comm',
  'cwd',
  'data',
  'dir',
  'exe',
  'file',
  'grp',
  'key',
  'name',
  'new_group',
  'new-chardev',
  'new-disk',
  'new-fs',
  'new-net',
  'new-rng',
  'ocomm',
  'old-chardev',
  'old-disk',
  'old-fs',
  'old-net',
  'old-rng',
  'path',
  'proctitle',
  'root_dir',
  'sw',
  'vm',
  'watch',
]);

const HEX = /^(?:[0-9A-Fa-f]{2})+$/;

/** True when the field's unquoted value is to be read as hex: named fields and EXECVE args. */
export function isEncodedField(key: string, recordType: string): boolean {
  if (ENCODED_FIELDS.has(key)) return true;
  return recordType === 'EXECVE' && /^a\d+(?:\[\d+\])?$/.test(key);
}

/**
 * Decodes a hex string to text, or returns undefined when it is not hex or does not decode to
 * text: invalid UTF-8, or control bytes other than NUL, tab, newline and the 0x01 separator of
 * audit keys.
 */
export function decodeHex(value: string): string | undefined {
  if (!HEX.test(value)) return undefined;
  const bytes = Buffer.from(value, 'hex');
  for (const byte of bytes) {
    if (byte < 0x20 && byte !== 0 && byte !== 0x01 && byte !== 0x09 && byte !== 0x0a) {
      return undefined;
    }
  }
  const text = bytes.toString('utf8');
  return text.includes('\uFFFD') ? undefined : text;
}

/** Turns a proctitle, the command line with NUL between arguments, into text with spaces. */
export function proctitleText(decoded: string): string {
  return decoded.replace(/\0+$/, '').replace(/\0/g, ' ');
}

/** Architectures as audit writes them (`arch=c000003e`). */
export const ARCHITECTURES: Readonly<Record<string, string>> = {
  c000003e: 'x86_64',
  c00000b7: 'aarch64',
  '40000003': 'i386',
  '40000028': 'arm',
};

/**
 * x86_64 syscall numbers that audit rules commonly watch, from the kernel's
 * arch/x86/entry/syscalls/syscall_64.tbl. Records of other architectures, and x86_64 syscalls
 * not listed here, keep only their number unless the log is enriched (`SYSCALL=` after 0x1d).
 */
const X86_64_SYSCALLS: Readonly<Record<number, string>> = {
  0: 'read',
  1: 'write',
  2: 'open',
  3: 'close',
  4: 'stat',
  9: 'mmap',
  10: 'mprotect',
  16: 'ioctl',
  21: 'access',
  41: 'socket',
  42: 'connect',
  43: 'accept',
  44: 'sendto',
  45: 'recvfrom',
  46: 'sendmsg',
  47: 'recvmsg',
  49: 'bind',
  50: 'listen',
  56: 'clone',
  57: 'fork',
  58: 'vfork',
  59: 'execve',
  62: 'kill',
  76: 'truncate',
  77: 'ftruncate',
  80: 'chdir',
  82: 'rename',
  83: 'mkdir',
  84: 'rmdir',
  85: 'creat',
  86: 'link',
  87: 'unlink',
  88: 'symlink',
  90: 'chmod',
  91: 'fchmod',
  92: 'chown',
  93: 'fchown',
  94: 'lchown',
  99: 'sysinfo',
  101: 'ptrace',
  103: 'syslog',
  105: 'setuid',
  106: 'setgid',
  113: 'setreuid',
  114: 'setregid',
  117: 'setresuid',
  119: 'setresgid',
  133: 'mknod',
  157: 'prctl',
  161: 'chroot',
  165: 'mount',
  166: 'umount2',
  169: 'reboot',
  170: 'sethostname',
  175: 'init_module',
  176: 'delete_module',
  188: 'setxattr',
  189: 'lsetxattr',
  190: 'fsetxattr',
  197: 'removexattr',
  198: 'lremovexattr',
  199: 'fremovexattr',
  235: 'utimes',
  246: 'kexec_load',
  257: 'openat',
  258: 'mkdirat',
  259: 'mknodat',
  260: 'fchownat',
  263: 'unlinkat',
  264: 'renameat',
  265: 'linkat',
  266: 'symlinkat',
  268: 'fchmodat',
  280: 'utimensat',
  288: 'accept4',
  304: 'open_by_handle_at',
  310: 'process_vm_readv',
  311: 'process_vm_writev',
  313: 'finit_module',
  316: 'renameat2',
  319: 'memfd_create',
  321: 'bpf',
  322: 'execveat',
};

/** Name of a syscall number, when the architecture's table lists it. */
export function syscallName(arch: string, syscall: string): string | undefined {
  if (ARCHITECTURES[arch.toLowerCase()] !== 'x86_64') return undefined;
  return X86_64_SYSCALLS[Number(syscall)];
}

/** Fields of a SOCKADDR record's `saddr` (a struct sockaddr in hex): family, address, port. */
export function decodeSockaddr(hex: string): Record<string, string> | undefined {
  if (!HEX.test(hex) || hex.length < 4) return undefined;
  const bytes = Buffer.from(hex, 'hex');
  const family = bytes.readUInt16LE(0);
  if (family === 2 && bytes.length >= 8) {
    return {
      saddr_fam: 'inet',
      lport: String(bytes.readUInt16BE(2)),
      laddr: [...bytes.subarray(4, 8)].join('.'),
    };
  }
  if (family === 10 && bytes.length >= 24) {
    const groups: string[] = [];
    for (let offset = 8; offset < 24; offset += 2) {
      groups.push(bytes.readUInt16BE(offset).toString(16));
    }
    return {
      saddr_fam: 'inet6',
      lport: String(bytes.readUInt16BE(2)),
      laddr: compressIpv6(groups),
    };
  }
  if (family === 1) {
    const end = bytes.indexOf(0, 2);
    return {
      saddr_fam: 'local',
      path: bytes.subarray(2, end < 0 ? bytes.length : end).toString('utf8'),
    };
  }
  return undefined;
}

/** Writes eight IPv6 groups with the longest run of zero groups as `::`. */
function compressIpv6(groups: string[]): string {
  let bestStart = -1;
  let bestLength = 0;
  for (let start = 0; start < groups.length; start++) {
    let length = 0;
    while (groups[start + length] === '0') length++;
    if (length > bestLength && length > 1) {
      bestStart = start;
      bestLength = length;
    }
  }
  if (bestStart < 0) return groups.join(':');
  const head = groups.slice(0, bestStart).join(':');
  const tail = groups.slice(bestStart + bestLength).join(':');
  return `${head}::${tail}`;
}
