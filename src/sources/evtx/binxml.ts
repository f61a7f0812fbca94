/**
 * Binary XML as EVTX stores it: the token bytes, and the node tree the reader parses them into.
 * A tree is parsed once per template definition, and once per record for the record's own
 * tokens. Substitutions stay placeholders until the expander fills them from a template
 * instance's values.
 */

/** Token bytes. The 0x40 bit marks an element with attributes, or more data to follow. */
export const TOKEN = {
  endOfFragment: 0x00,
  openStartElement: 0x01,
  closeStartElement: 0x02,
  closeEmptyElement: 0x03,
  endElement: 0x04,
  value: 0x05,
  attribute: 0x06,
  cdataSection: 0x07,
  charReference: 0x08,
  entityReference: 0x09,
  piTarget: 0x0a,
  piData: 0x0b,
  templateInstance: 0x0c,
  normalSubstitution: 0x0d,
  optionalSubstitution: 0x0e,
  fragmentHeader: 0x0f,
  moreBit: 0x40,
} as const;

export const NODE = {
  element: 0,
  substitution: 1,
  templateInstance: 2,
  cdata: 3,
  processingInstruction: 4,
  entityReference: 5,
} as const;

export interface XmlElement {
  kind: typeof NODE.element;
  name: string;
  attributes: XmlAttribute[];
  content: XmlContent[];
}

export interface XmlAttribute {
  name: string;
  /** Text, substitutions and references that make up the value. */
  value: XmlContent[];
}

/** A placeholder for value `index` of the enclosing template instance. */
export interface XmlSubstitution {
  kind: typeof NODE.substitution;
  index: number;
  /** Optional substitutions leave out their attribute when the value is null or empty. */
  optional: boolean;
}

/** One value of a template instance: its type and where its bytes are in the chunk. */
export interface SubstitutionValue {
  type: number;
  start: number;
  size: number;
}

export interface XmlTemplateInstance {
  kind: typeof NODE.templateInstance;
  template: TemplateDefinition;
  values: SubstitutionValue[];
}

export interface TemplateDefinition {
  /** Offset of the definition in its chunk, which is how instances refer to it. */
  offset: number;
  guid: string;
  content: XmlContent[];
}

export interface XmlCData {
  kind: typeof NODE.cdata;
  text: string;
}

export interface XmlProcessingInstruction {
  kind: typeof NODE.processingInstruction;
  target: string;
  data: string;
}

/** An entity reference other than the five predefined XML entities, kept as written. */
export interface XmlEntityReference {
  kind: typeof NODE.entityReference;
  name: string;
}

/** Content of an element or fragment; a string is character data, already unescaped. */
export type XmlContent =
  | string
  | XmlElement
  | XmlSubstitution
  | XmlTemplateInstance
  | XmlCData
  | XmlProcessingInstruction
  | XmlEntityReference;

export const PREDEFINED_ENTITIES: Record<string, string> = {
  lt: '<',
  gt: '>',
  amp: '&',
  quot: '"',
  apos: "'",
};
