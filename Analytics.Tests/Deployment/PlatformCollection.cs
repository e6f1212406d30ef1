namespace Analytics.Tests.Platform;

/// <summary>
/// The tests that share one started AppHost (<see cref="PlatformFixture"/>). xUnit looks for a
/// collection's definition in the test assembly itself, so each test project that uses the
/// fixture declares it.
/// </summary>
[CollectionDefinition(Name)]
public sealed class PlatformCollectionDefinition : ICollectionFixture<PlatformFixture>
{
    public const string Name = "platform";
}
