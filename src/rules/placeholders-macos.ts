import type { PlaceholderDefault } from './placeholders.js';

/** Defaults of the placeholders of the AN1346 macOS rules. */
export const MACOS_PLACEHOLDERS: Readonly<Record<string, PlaceholderDefault>> = {
  an1346_admin_groups: {
    description:
      'macOS groups that grant administrator rights (Endpoint Security od_group_add group names).',
    values: ['admin'],
  },
  an1346_admin_group_commands: {
    description:
      'Command lines (Sigma wildcards) that add a member to an administrator group: dseditgroup -a and dscl -append or -merge of /Groups/admin.',
    values: [
      '*dseditgroup * -a * admin',
      '*dscl * -append /Groups/admin GroupMembership *',
      '*dscl * -merge /Groups/admin GroupMembership *',
    ],
  },
  an1346_lateral_images: {
    description:
      'Executables (path suffixes) that mount a network share or open a session on another host.',
    values: ['/mount_smbfs', '/mount_afp', '/mount_nfs', '/mount_webdav', '/ssh', '/scp', '/sftp'],
  },
  an1346_lateral_command_markers: {
    description:
      'Command-line fragments that mount a network share: mount -t with a network file system, or a share URL.',
    values: [' -t smbfs', ' -t afp', ' -t nfs', ' -t webdav', 'smb://', 'afp://', 'nfs://'],
  },
  an1346_network_file_systems: {
    description: 'File system types (Endpoint Security mount f_fstypename) of network shares.',
    values: ['smbfs', 'afpfs', 'nfs', 'webdav'],
  },
};
