// The least a node process does before it can say anything: the floor under every start time.
process.stdout.write('ready\n');
