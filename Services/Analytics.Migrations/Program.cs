using Analytics.Migrations;

var builder = Host.CreateApplicationBuilder(args);

builder.AddServiceDefaults();
builder.AddAnalyticsDataSource();
builder.AddValidatedSettings<DatabaseRoleSettings>(DatabaseRoleSettings.SectionName);
builder.Services.AddHostedService<MigrationWorker>();

return await builder.Build().RunServiceAsync();
