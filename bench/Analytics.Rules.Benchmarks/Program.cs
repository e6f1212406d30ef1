using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(Analytics.Rules.Benchmarks.RuleThroughput).Assembly).Run(args);
