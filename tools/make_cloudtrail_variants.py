"""Writes testdata/logs/cloudtrail-variants/ (see its SOURCE.txt): run from the repository root.
"""
import json, gzip, os
acct = "123456789012"
def ident(user):
    return {"type":"AssumedRole","principalId":"AROAEXAMPLEID:"+user,"arn":f"arn:aws:sts::{acct}:assumed-role/SupportRole/{user}","accountId":acct,"accessKeyId":"ASIAEXAMPLE","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLEID","arn":f"arn:aws:iam::{acct}:role/SupportRole","accountId":acct,"userName":"SupportRole"},"attributes":{"creationDate":"2019-06-10T08:00:00Z","mfaAuthenticated":"false"}}}
def ddb(i, user, t, name, params, table_arns):
    return {"eventVersion":"1.09","userIdentity":ident(user),"eventTime":t,"eventSource":"dynamodb.amazonaws.com","eventName":name,"awsRegion":"us-east-1","sourceIPAddress":"192.0.2.10","userAgent":"aws-sdk-java/1.12.470 Linux/5.10 OpenJDK_64-Bit_Server_VM/17.0.7+7-LTS java/17.0.7","requestParameters":params,"responseElements":None,"requestID":f"REQ{i:04d}EXAMPLE","eventID":f"0c6a1b{i:02d}-5f2e-4d7a-9b31-a1e2c3d4e5f6","readOnly":True,"resources":[{"accountId":acct,"type":"AWS::DynamoDB::Table","ARN":f"arn:aws:dynamodb:us-east-1:{acct}:table/{tb}"} for tb in table_arns],"eventType":"AwsApiCall","apiVersion":"2012-08-10","managementEvent":False,"recipientAccountId":acct,"eventCategory":"Data","tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"dynamodb.us-east-1.amazonaws.com"}}
def s3(i, user, t, name, params, resources, auth="AuthHeader", extra=None):
    r = {"eventVersion":"1.09","userIdentity":ident(user),"eventTime":t,"eventSource":"s3.amazonaws.com","eventName":name,"awsRegion":"us-east-1","sourceIPAddress":"192.0.2.10","userAgent":"[aws-cli/2.11.8 Python/3.11.2 Linux/5.10 source/x86_64 prompt/off command/s3api]","requestParameters":params,"responseElements":None,"additionalEventData":{"SignatureVersion":"SigV4","CipherSuite":"ECDHE-RSA-AES128-GCM-SHA256","bytesTransferredIn":0,"AuthenticationMethod":auth,"x-amz-id-2":"EXAMPLEid2","bytesTransferredOut":412},"requestID":f"S3REQ{i:04d}EXAMPLE","eventID":f"5e1f2a{i:02d}-77c1-4b0e-8d2a-b3c4d5e6f7a8","readOnly":name=="GetObject","resources":resources,"eventType":"AwsApiCall","managementEvent":False,"recipientAccountId":acct,"eventCategory":"Data","tlsDetails":{"tlsVersion":"TLSv1.2","cipherSuite":"ECDHE-RSA-AES128-GCM-SHA256","clientProvidedHostHeader":params.get("Host","s3.us-east-1.amazonaws.com")}}
    if extra: r.update(extra)
    return r
def obj(bucket, key): return {"type":"AWS::S3::Object","ARN":f"arn:aws:s3:::{bucket}/{key}"}
def bucket(b): return {"accountId":acct,"type":"AWS::S3::Bucket","ARN":f"arn:aws:s3:::{b}"}
R = []
# 0: BatchGetItem, requestItems as an array of {tableName, key}: one entry per item, each with its projection.
R.append(ddb(0,"k.walsh","2019-06-10T09:00:00Z","BatchGetItem",{"requestItems":[{"tableName":"customers","key":{"customer_id":"C001"},"projectionExpression":"full_name, email"},{"tableName":"customers","key":{"customer_id":"C002"},"projectionExpression":"full_name, email"}]},["customers"]))
# 1: BatchGetItem, array of {tableName, keys}, attributesToGet.
R.append(ddb(1,"k.walsh","2019-06-10T09:01:00Z","BatchGetItem",{"requestItems":[{"tableName":"tickets","keys":[{"ticket_number":"T-3"}],"attributesToGet":["subject"],"consistentRead":False}]},["tickets"]))
# 2: BatchGetItem, the SDK's map shape, a table ARN as the map key, names through expressionAttributeNames.
R.append(ddb(2,"k.walsh","2019-06-10T09:02:00Z","BatchGetItem",{"requestItems":{f"arn:aws:dynamodb:us-east-1:{acct}:table/customers":{"keys":[{"customer_id":{"S":"C004"}}],"projectionExpression":"#n0, phone","expressionAttributeNames":{"#n0":"full_name"},"consistentRead":False}}},["customers"]))
# 3: BatchGetItem whose keys were not logged, two tables: one unresolved access for the event.
R.append(ddb(3,"k.walsh","2019-06-10T09:03:00Z","BatchGetItem",{"requestItems":[{"tableName":"customers","projectionExpression":"email"},{"tableName":"tickets","projectionExpression":"subject"}]},["customers","tickets"]))
# 4: the CopyObject of record 5 as a VPC endpoint saw it (a network activity event): not a second read.
na = {"eventVersion":"1.11","userIdentity":ident("k.walsh"),"eventTime":"2019-06-10T09:04:00Z","eventSource":"s3.amazonaws.com","eventName":"CopyObject","awsRegion":"us-east-1","sourceIPAddress":"10.0.141.54","requestID":"S3REQ0005EXAMPLE","eventID":"5e1f2a04-77c1-4b0e-8d2a-b3c4d5e6f7a8","eventType":"AwsVpceEvent","recipientAccountId":acct,"sharedEventID":"6f2a3b04-88d2-4c1f-9e3b-c4d5e6f7a8b9","vpcEndpointId":"vpce-0a1b2c3d4e5f6a7b8","vpcEndpointAccountId":acct,"eventCategory":"NetworkActivity"}
R.append(na)
# 5: CopyObject of a declared export: the source URL-encoded, with ?versionId=.
R.append(s3(5,"k.walsh","2019-06-10T09:04:00Z","CopyObject",{"bucketName":"k-walsh-scratch","Host":"k-walsh-scratch.s3.us-east-1.amazonaws.com","x-amz-copy-source":"acme-crm-exports/exports%2F2019-06%2Fvip%20customers.csv?versionId=3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY","key":"loot/vip.csv"},[obj("k-walsh-scratch","loot/vip.csv"),bucket("k-walsh-scratch")]))
# 6: CopyObject whose source names an access point ARN (URL-encoded, leading /).
R.append(s3(6,"k.walsh","2019-06-10T09:05:00Z","CopyObject",{"bucketName":"k-walsh-scratch","Host":"k-walsh-scratch.s3.us-east-1.amazonaws.com","x-amz-copy-source":"/arn%3Aaws%3As3%3Aus-east-1%3A123456789012%3Aaccesspoint%2Fcrm-exports-ap%2Fobject%2Fexports%2F2019-06%2Fregion-west.csv","key":"loot/west.csv"},[obj("k-walsh-scratch","loot/west.csv"),bucket("k-walsh-scratch")]))
# 7: GetObject through a presigned URL (AuthenticationMethod QueryString, X-Amz-* parameters).
R.append(s3(7,"k.walsh","2019-06-10T09:06:00Z","GetObject",{"X-Amz-Date":"20190610T090530Z","bucketName":"acme-crm-exports","X-Amz-Algorithm":"AWS4-HMAC-SHA256","response-content-disposition":"attachment","X-Amz-SignedHeaders":"host","Host":"acme-crm-exports.s3.us-east-1.amazonaws.com","X-Amz-Expires":"300","key":"exports/2019-06/escalations.csv"},[obj("acme-crm-exports","exports/2019-06/escalations.csv"),bucket("acme-crm-exports")],auth="QueryString"))
# 8: GetObject through an access point: bucketName is the access point's alias, the object's ARN the real bucket.
R.append(s3(8,"k.walsh","2019-06-10T09:07:00Z","GetObject",{"bucketName":"crm-exports-ap-a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6-s3alias","Host":"crm-exports-ap-123456789012.s3-accesspoint.us-east-1.amazonaws.com","key":"exports/2019-06/churn-risk.csv"},[obj("acme-crm-exports","exports/2019-06/churn-risk.csv"),{"accountId":acct,"type":"AWS::S3::AccessPoint","ARN":f"arn:aws:s3:us-east-1:{acct}:accesspoint/crm-exports-ap"}]))
# 9: an Insights event.
R.append({"eventVersion":"1.08","eventTime":"2019-06-10T09:00:00Z","awsRegion":"us-east-1","eventID":"9a8b7c6d-1111-2222-3333-444455556666","eventType":"AwsCloudTrailInsight","recipientAccountId":acct,"sharedEventID":"12ab34cd-5555-6666-7777-888899990000","insightDetails":{"state":"Start","eventSource":"s3.amazonaws.com","eventName":"GetObject","insightType":"ApiCallRateInsight","insightContext":{"statistics":{"baseline":{"average":0.02},"insight":{"average":4.0},"insightDuration":1}}},"eventCategory":"Insight"})
# 10: a record whose eventTime cannot be read: rejected, naming Records[10] and its eventID.
bad = ddb(10,"k.walsh","10/06/2019 09:08","GetItem",{"tableName":"customers","key":{"customer_id":"C003"}},["customers"])
R.append(bad)
# 11: a Scan of the whole customers table: a whole-table read whose origin names Records[11].
R.append(ddb(11,"k.walsh","2019-06-10T09:09:00Z","Scan",{"tableName":"customers","consistentRead":False},["customers"]))
# 12: another account's read.
R.append(ddb(12,"j.doe","2019-06-10T09:10:00Z","GetItem",{"tableName":"customers","key":{"customer_id":"C009"}},["customers"]))
text = json.dumps({"Records":R}, separators=(",",":"))
out = "testdata/logs/cloudtrail-variants/123456789012_CloudTrail_us-east-1_20190610T0910Z_Vx8DqyQGyW2zYhIb.json.gz"
with gzip.GzipFile(out, "wb", mtime=0) as f: f.write(text.encode())
digest = {"awsAccountId":acct,"digestStartTime":"2019-06-10T09:00:00Z","digestEndTime":"2019-06-10T10:00:00Z","digestS3Bucket":"acme-cloudtrail","digestS3Object":f"AWSLogs/{acct}/CloudTrail-Digest/us-east-1/2019/06/10/{acct}_CloudTrail-Digest_us-east-1_acme-trail_us-east-1_20190610T100000Z.json.gz","digestPublicKeyFingerprint":"9f0c2e5b8d7a6f4e3c2b1a0f9e8d7c6b","digestSignatureAlgorithm":"SHA256withRSA","newestEventTime":"2019-06-10T09:10:00Z","oldestEventTime":"2019-06-10T09:00:00Z","previousDigestS3Bucket":"acme-cloudtrail","previousDigestS3Object":f"AWSLogs/{acct}/CloudTrail-Digest/us-east-1/2019/06/10/{acct}_CloudTrail-Digest_us-east-1_acme-trail_us-east-1_20190610T090000Z.json.gz","previousDigestHashValue":"31e8b5433410dfb61a9dc45cc65b22287ee2d6eb44d9d6b8f3b1a1c6d2e4f5a6","previousDigestHashAlgorithm":"SHA-256","previousDigestSignature":"4b2c7e","logFiles":[{"s3Bucket":"acme-cloudtrail","s3Object":f"AWSLogs/{acct}/CloudTrail/us-east-1/2019/06/10/{acct}_CloudTrail_us-east-1_20190610T0910Z_Vx8DqyQGyW2zYhIb.json.gz","hashValue":"9bc2d8a0e4c7f61b","hashAlgorithm":"SHA-256","newestEventTime":"2019-06-10T09:10:00Z","oldestEventTime":"2019-06-10T09:00:00Z"}]}
out = f"testdata/logs/cloudtrail-variants/{acct}_CloudTrail-Digest_us-east-1_acme-trail_us-east-1_20190610T100000Z.json.gz"
with gzip.GzipFile(out, "wb", mtime=0) as f: f.write(json.dumps(digest, separators=(",",":")).encode())
