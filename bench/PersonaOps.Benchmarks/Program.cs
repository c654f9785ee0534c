using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(PersonaOps.Benchmarks.JsonPatchBenchmarks).Assembly).Run(args);
