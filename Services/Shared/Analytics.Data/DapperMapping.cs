using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Dapper;

namespace Analytics.Data;

/// <summary>How Dapper maps rows in every store: snake_case columns to PascalCase members.</summary>
internal static class DapperMapping
{
    // A module initializer, because the setting is process-wide and must hold before the first
    // query of any store; every query of this assembly is written for it.
    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255", Justification = "Dapper's mapping is global; only this assembly's queries rely on it.")]
    internal static void MatchSnakeCaseColumns() => DefaultTypeMap.MatchNamesWithUnderscores = true;
}
