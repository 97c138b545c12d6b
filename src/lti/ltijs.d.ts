// ltijs ships no types; Sello uses a small part of it, typed where it is used (provider.ts).
declare module 'ltijs' {
  const ltijs: { Provider: object };
  export default ltijs;
}
