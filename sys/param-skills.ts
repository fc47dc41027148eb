/**
 * The limits of skills (issue 53.1: a folder with a SKILL.md, installed with `aos skill add`),
 * spread into `param` (param.ts): still one object for every limit. Numbers only, no imports. A
 * skill package is read as a unit package is (param-packages.ts: entries, files, bytes, depth);
 * these are what a skill adds on top.
 */
export const skillParam = {
  /** A skill's name (Agent Skills: lowercase letters, digits and hyphens) and its one-line description. */
  ...{ skillNameMaxChars: 64, skillDescriptionMaxChars: 1_024 },
  /** SKILL.md itself, front matter and body: read whole by SKILL_OPEN. */
  skillMaxManifestBytes: 64 * 1024,
  /** Skills installed in one home; files a skill lists to SKILL_OPEN (the rest are counted, not named). */
  ...{ skillsMax: 1_000, skillMaxListedFiles: 200 },
  /**
   * The skills part of a system prompt, in characters: the visible skills' names and descriptions
   * (each description cut to skillPromptDescriptionChars) until it is full, then one line naming how
   * many more there are and the call that lists them. 100 skills then cost what 2,000 characters do.
   */
  ...{ skillsPromptChars: 2_000, skillPromptDescriptionChars: 160 },
  /** A file of a skill read by SKILL_OPEN {name, file}: at most this much of it (the rest is cut and said so). */
  skillFileReadMaxBytes: 64 * 1024,
};
