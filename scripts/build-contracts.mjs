// Placeholder until the chain capability lands: compiles contracts/ when present.
process.exit(0);
