/**
 * The build of trustwatch: a hash of its compiled code, which the bundle script
 * (scripts/bundle-cli.mjs) writes into the bundle. Caches of results that depend on the code,
 * such as the facts of rule compiles, name it. The compiled modules run without the bundle have
 * none, since they cannot tell their code from another build's.
 */

declare const __TRUSTWATCH_BUILD__: string | undefined;

export const BUILD_ID: string | undefined =
  typeof __TRUSTWATCH_BUILD__ === 'string' ? __TRUSTWATCH_BUILD__ : undefined;
