using Analytics.Consumers;
using Analytics.Notifier;
using Analytics.Notifier.Channels;
using Analytics.Notifier.Delivery;
using Npgsql;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddAnalyticsDataSource();
builder.AddValidatedSettings<NotifierSettings>(NotifierSettings.SectionName);
builder.Services.AddSingleton(TimeProvider.System);
builder.AddNotificationChannels();
builder.Services.AddSingleton<NotifierMetrics>();
// Decides each incident change into the delivery log, then sends what the log says is due.
builder.Services.AddSingleton<NotificationConsumer>();
builder.AddLogConsumer(
    NotificationConsumer.Name,
    services => NotificationConsumer.Log(services.GetRequiredService<NpgsqlDataSource>()),
    services => services.GetRequiredService<NotificationConsumer>());
builder.Services.AddHostedService<DeliveryDispatcher>();
// Turns people's requests (a rule's test message, a dead letter's redelivery) into delivery-log state.
builder.Services.AddHostedService<NotificationRequestWorker>();

var app = builder.Build();

app.MapDefaultEndpoints();

return await app.RunServiceAsync();
