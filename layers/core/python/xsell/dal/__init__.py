"""The one door to storage. Domain logic reaches DynamoDB and S3 only through here."""
